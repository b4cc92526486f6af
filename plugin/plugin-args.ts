// The command line of `kubectl corepod`: kubectl's global flags (-n, --context, --kubeconfig,
// --as, -o), durations, and the errors that map to the exit codes of the `corepod` CLI. Pure.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../lib/usage-error.js';

export { UsageError };

/** As the `corepod` CLI: 0 ok, 1 not found or failed, 2 bad usage, 3 cannot reach the API server. */
export const EXIT = { ok: 0, failed: 1, usage: 2, cannotReach: 3 } as const;

/** The API server cannot be reached (exit 3). */
export class CannotReach extends Error {}

/** Something named does not exist, or an action failed (exit 1). */
export class Failed extends Error {}

export const OUTPUTS = ['json', 'yaml', 'wide'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface KubeFlags {
  namespace?: string;
  context?: string;
  kubeconfig?: string;
  /** Impersonation, as kubectl's --as and --as-group. */
  as?: string;
  asGroups: string[];
}

type Options = NonNullable<ParseArgsConfig['options']>;

const KUBE_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  as: { type: 'string' },
  'as-group': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** The global flags every command takes, as its usage lists them. */
export const KUBE_FLAGS_USAGE = `  -n, --namespace NS    the CorePod's namespace (default: the context's, else "default")
  --context NAME        a context of the kubeconfig other than its current one
  --kubeconfig FILE     the kubeconfig (default: the first file of $KUBECONFIG, else ~/.kube/config; in a pod, its ServiceAccount)
  --as USER, --as-group GROUP   act as another user (impersonation)
  -h, --help            this text`;

/**
 * Parses argv strictly: the command's own options and the global flags, in any order. Unknown
 * options and missing values are usage errors naming the option.
 */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof KUBE_OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...KUBE_OPTIONS }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''));
  }
  const v = parsed.values as Record<string, unknown>;
  for (const name of ['namespace', 'context', 'kubeconfig', 'as'] as const) if (v[name] === '') throw new UsageError(`--${name}: expected a value`);
  const kube: KubeFlags = {
    ...(typeof v.namespace === 'string' ? { namespace: v.namespace } : {}),
    ...(typeof v.context === 'string' ? { context: v.context } : {}),
    ...(typeof v.kubeconfig === 'string' ? { kubeconfig: v.kubeconfig } : {}),
    ...(typeof v.as === 'string' ? { as: v.as } : {}),
    asGroups: (v['as-group'] as string[] | undefined) ?? [],
  };
  return { values: parsed.values, positionals: parsed.positionals, kube, help: v.help === true };
}

/** -o/--output: one of json, yaml, wide (undefined: the table). */
export function outputOf(value: unknown): Output | undefined {
  if (value === undefined) return undefined;
  if (!OUTPUTS.includes(value as Output)) throw new UsageError(`--output: expected json, yaml or wide, got "${String(value)}"`);
  return value as Output;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** kubectl's durations: 30s, 5m, 1h, 1h30m, 500ms; a bare number is seconds. Throws naming `flag`. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) throw new UsageError(`${flag}: expected a duration such as 30s, 5m or 1h, got "${text}"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** The positional arguments by name; a missing one is a usage error naming it, extra ones too. */
export function positionalsAs<N extends string>(positionals: readonly string[], names: readonly N[], rest?: N): Record<N, string> & { rest: string[] } {
  const named: Record<string, string> = {};
  names.forEach((name, i) => {
    const value = positionals[i];
    if (value === undefined) throw new UsageError(`missing ${name}`);
    named[name] = value;
  });
  const extra = positionals.slice(names.length);
  if (!rest && extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return { ...(named as Record<N, string>), rest: extra };
}
