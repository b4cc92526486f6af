// Live reconfiguration: a new spec (the `corepod run -f` file again, on `corepod reload` or SIGHUP;
// in a pod, the CorePod as the watch or the mounted ConfigMap brings it) is validated in a child,
// compared with the one in force, and applied in place by the supervisor, or refused with the
// running programs left as they were. Keeps what this pod reports: the generation it runs and its
// SpecApplied condition.
import fs from 'node:fs';
import path from 'node:path';
import type { Condition, CorePodSpec } from '../crds/corepod-schema.js';
import { describeDiff, diffSpecs, SPEC_APPLIED_CONDITION, type SpecDiff } from '../contract/spec-diff.js';
import { specUnderRoot, type ImageRoot } from './image-root.js';
import type { Logger } from './logger.js';
import type { ProgramExtras, ReconfigureResult, Supervisor } from './supervisor.js';
import type { LoadedConfig } from './config-loader.js';
import { validateInChild } from './validate-child.js';
import { metaTime } from '../kube/kube-api.js';

export interface ReloadOutcome {
  /** applied (or would be, with dryRun); unchanged: nothing to do; waiting: only a new pod can run it; refused: invalid or cannot be applied. */
  outcome: 'applied' | 'unchanged' | 'waiting' | 'refused';
  dryRun: boolean;
  generation?: number;
  /** What is added, removed, restarted, reloaded, updated and kept (describeDiff), or the errors. */
  lines: string[];
  result?: ReconfigureResult;
}

export interface SpecReloaderOptions {
  supervisor: Pick<Supervisor, 'currentSpec' | 'reconfigure' | 'refuseSpec'>;
  logger: Logger;
  /** Where documents from the cluster are written for the validating child. */
  workDir: string;
  /** corepod run --root: the new spec's paths are mapped like the first one's. */
  root?: ImageRoot;
  /** In a pod: changes that need a new pod are left to the rollout the operator makes. */
  inPod: boolean;
  /** The generation of the spec started with (the ConfigMap's). */
  generation?: number;
  /** User switches and NOTIFY_SOCKETs of the named programs, or the errors (with their spec paths). */
  extras: (spec: CorePodSpec, programs: string[]) => Promise<ProgramExtras | { errors: string[] }>;
  /** Told whenever the generation or the condition changes (the status reporter). */
  onChange?: () => void;
  now?: () => string;
}

export class SpecReloader {
  private running: number | undefined;
  private condition: Condition | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private documents = 0;

  constructor(private readonly options: SpecReloaderOptions) {
    this.running = options.generation;
  }

  /** What this pod reports besides its processes. */
  podFacts(): { generation?: number; conditions?: Condition[] } {
    return { ...(this.running !== undefined ? { generation: this.running } : {}), ...(this.condition ? { conditions: [this.condition] } : {}) };
  }

  /** Re-reads a file (the one `corepod run -f` was given). */
  reloadFile(file: string, dryRun = false): Promise<ReloadOutcome> {
    return this.serial(() => this.load(file, dryRun, undefined));
  }

  /**
   * A CorePod from the cluster: applied when its generation is newer than the one running (or
   * refused before). Written to a file of the work directory for the validating child.
   */
  reloadDocument(document: { metadata: { generation?: number } }): Promise<ReloadOutcome | undefined> {
    const generation = document.metadata.generation;
    return this.serial(async () => {
      if (generation !== undefined && this.running !== undefined && generation <= this.running) return undefined;
      if (generation !== undefined && this.condition?.observedGeneration === generation && this.condition.status === 'False') return undefined;
      fs.mkdirSync(this.options.workDir, { recursive: true, mode: 0o700 });
      const file = path.join(this.options.workDir, `corepod-${process.pid}-${++this.documents}.json`);
      fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
      try {
        return await this.load(file, false, generation);
      } finally {
        fs.rmSync(file, { force: true });
      }
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(file: string, dryRun: boolean, generation: number | undefined): Promise<ReloadOutcome> {
    const checked = await validateInChild(file);
    if (!checked.ok) return this.refuse(checked.errors.split('\n').filter(Boolean), dryRun, generation);
    return this.apply(checked.config, dryRun, generation ?? checked.config.generation);
  }

  private async apply(config: LoadedConfig, dryRun: boolean, generation: number | undefined): Promise<ReloadOutcome> {
    const { supervisor, logger, root } = this.options;
    const next = root ? specUnderRoot(config.spec, root) : config.spec;
    const diff = diffSpecs(supervisor.currentSpec(), next);
    const lines = describeDiff(diff);
    const base = { dryRun, ...(generation !== undefined ? { generation } : {}) };
    if (this.options.inPod && diff.needsNewPod) {
      if (dryRun) return { ...base, outcome: 'waiting', lines };
      logger.info('the new spec needs a new pod: the operator rolls the pods, this one keeps running its spec', { generation, changes: lines });
      this.setCondition('False', 'NeedsNewPod', `generation ${generation ?? '?'} needs a new pod (${podChanges(diff)}): this pod is replaced by the rollout`, generation);
      return { ...base, outcome: 'waiting', lines };
    }
    // Programs whose new processes need their user plan or NOTIFY_SOCKET: added, restarted, or with new instances.
    const affected = [...diff.added, ...diff.changed.filter((c) => c.action !== 'update' || c.fields.some((f) => f.path.endsWith('.instances'))).map((c) => c.name)];
    const extras = await this.options.extras(next, affected);
    if ('errors' in extras) return this.refuse(extras.errors, dryRun, generation);
    if (dryRun) return { ...base, outcome: diff.added.length + diff.removed.length + diff.changed.length === 0 ? 'unchanged' : 'applied', lines };
    const result = await supervisor.reconfigure(next, diff, extras);
    if (!result.ok) return this.refuse([result.message ?? 'not applied'], dryRun, generation);
    if (generation !== undefined) this.running = generation;
    this.setCondition('True', 'Applied', lines.join('; ') || 'no program changed', generation);
    return { ...base, outcome: 'applied', lines, result };
  }

  private refuse(errors: string[], dryRun: boolean, generation: number | undefined): ReloadOutcome {
    const message = errors.join('; ') || 'the spec cannot be applied';
    if (!dryRun) {
      this.options.supervisor.refuseSpec(message, generation);
      this.setCondition('False', 'SpecRefused', message, generation);
    }
    return { outcome: 'refused', dryRun, ...(generation !== undefined ? { generation } : {}), lines: errors };
  }

  private setCondition(status: 'True' | 'False', reason: string, message: string, generation: number | undefined): void {
    const previous = this.condition;
    const time = this.options.now?.() ?? metaTime(Date.now());
    this.condition = {
      type: SPEC_APPLIED_CONDITION,
      status,
      reason,
      message: message.slice(0, 4000),
      lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : time,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    this.options.onChange?.();
  }
}

function podChanges(diff: SpecDiff): string {
  const paths = [...diff.podChanges.map((c) => c.path), ...diff.changed.flatMap((c) => c.fields.filter((f) => f.needs === 'pod').map((f) => f.path))];
  return paths.join(', ');
}
