// A CorePod file as ProgramDefs for the other supervisors (the schema's defaults applied), and
// the HTTP health endpoints it declares.
import fs from 'node:fs';
import { parse } from 'yaml';
import { validateCorePod, validateSpec, type CorePodSpec } from '../../crds/corepod-schema.js';
import type { ProgramDef } from './program.js';

export function loadSpec(file: string): CorePodSpec {
  const document = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const result = 'apiVersion' in document || 'kind' in document ? validateCorePod(document) : validateSpec(document);
  if (!result.ok) throw new Error(`${file}: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return 'spec' in result.value ? result.value.spec : result.value;
}

/** The programs with supervisord's view of them: startSeconds replaced per name (the seed's startsecs). */
export function programDefs(spec: CorePodSpec, startSeconds: Record<string, number> = {}): ProgramDef[] {
  return spec.programs.map((p) => ({
    name: p.name,
    command: p.command,
    priority: p.priority,
    startSeconds: startSeconds[p.name] ?? p.startSeconds,
    startRetries: p.startRetries,
    autorestart: p.autorestart !== false,
    stopSignal: p.stopSignal,
    stopWaitSeconds: p.stopWaitSeconds,
    // Only literal values: supervisord has no Secrets (a valueFrom is the kubelet's to resolve).
    env: Object.fromEntries(p.env.filter((e) => e.valueFrom === undefined).map((e) => [e.name, e.value])),
    ...(p.workingDir ? { workingDir: p.workingDir } : {}),
    ...(p.user ? { user: p.user } : {}),
  }));
}

export interface Endpoint {
  program: string;
  url: string;
}

export function healthEndpoints(spec: CorePodSpec): Endpoint[] {
  return spec.programs.flatMap((p) => {
    const get = p.healthCheck?.httpGet;
    return get ? [{ program: p.name, url: `http://${get.host}:${get.port}${get.path}` }] : [];
  });
}
