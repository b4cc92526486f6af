// The soak's command line (pure): --duration 30m --seed 7 --report FILE.
import { UsageError } from '../../lib/usage-error.js';

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new UsageError(`--duration: expected a number with ms, s, m or h (e.g. 30m), got ${JSON.stringify(text)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export function parseArgs(argv: readonly string[]): { durationMs: number; seed: number; report?: string } {
  let durationMs = 30 * 60_000;
  let seed = 1;
  let report: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag !== '--duration' && flag !== '--seed' && flag !== '--report') throw new UsageError(`unknown argument ${JSON.stringify(flag)} (--duration D --seed N --report FILE)`);
    if (value === undefined) throw new UsageError(`${flag}: needs a value`);
    i++;
    if (flag === '--duration') durationMs = parseDuration(value);
    else if (flag === '--seed') {
      if (!/^\d+$/.test(value)) throw new UsageError(`--seed: expected a non-negative integer, got ${JSON.stringify(value)}`);
      seed = Number(value);
    } else report = value;
  }
  return { durationMs, seed, ...(report === undefined ? {} : { report }) };
}
