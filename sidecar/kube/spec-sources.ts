// Where a pod's new specs come from: the watch of its own CorePod (at once), and the mounted
// ConfigMap as the fallback (the kubelet refreshes it only after its sync period, but it also
// works while this pod cannot reach the API server). Each is handed to the reloader, which
// applies a generation once.
import fs from 'node:fs';
import type { Logger } from '../logger.js';
import type { SpecReloader } from '../spec-reloader.js';
import type { ClusterSinks } from './cluster-sinks.js';
import { followSpecs } from './spec-watch.js';

export interface SpecSourcesOptions {
  cluster: Pick<ClusterSinks, 'corePod' | 'identity'>;
  /** The mounted config file (the ConfigMap's corepod.json). */
  file: string;
  reloader: Pick<SpecReloader, 'reloadDocument'>;
  logger: Logger;
  /** How often the file is read again. */
  fileIntervalMs?: number;
}

export interface SpecSources {
  stop(): Promise<void>;
}

function report(logger: Logger, source: string, outcome: Awaited<ReturnType<SpecReloader['reloadDocument']>>): void {
  if (!outcome) return;
  const facts = { source, generation: outcome.generation, changes: outcome.lines };
  if (outcome.outcome === 'refused') logger.warn('new spec refused', facts);
  else logger.info(`new spec: ${outcome.outcome}`, facts);
}

export function watchSpecSources(options: SpecSourcesOptions): SpecSources {
  const { reloader, logger } = options;
  followSpecs(options.cluster.corePod, options.cluster.identity, (document) => {
    void reloader.reloadDocument(document).then((outcome) => report(logger, 'watch', outcome));
  });
  let last = '';
  const readFile = () => {
    let text: string;
    try {
      text = fs.readFileSync(options.file, 'utf8');
    } catch {
      return;
    }
    if (text === last) return;
    last = text;
    let document: { metadata?: { generation?: unknown } };
    try {
      document = JSON.parse(text) as typeof document;
    } catch {
      return;
    }
    const generation = document.metadata?.generation;
    // The reloader leaves a generation that is not newer than the one running.
    if (typeof generation !== 'number') return;
    void reloader.reloadDocument(document as { metadata: { generation?: number } }).then((outcome) => report(logger, 'ConfigMap', outcome));
  };
  readFile();
  const timer = setInterval(readFile, options.fileIntervalMs ?? 5000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
    },
  };
}
