// How many cases a property-based (fuzz) test runs: its own small count in `make test`, that count
// times FUZZ_SCALE in `make fuzz`. FUZZ_SEED replays a run (fast-check prints the seed of a failure);
// FUZZ_TALLY names a file each property appends its count to, so `make fuzz` can report the total.
import fs from 'node:fs';

export interface FuzzParameters {
  numRuns: number;
  seed?: number;
}

export function fuzzParameters(defaultRuns: number, env: NodeJS.ProcessEnv = process.env): FuzzParameters {
  const scale = env.FUZZ_SCALE === undefined || env.FUZZ_SCALE === '' ? 1 : Number(env.FUZZ_SCALE);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`FUZZ_SCALE: expected a positive number, got "${env.FUZZ_SCALE}"`);
  const numRuns = Math.max(1, Math.round(defaultRuns * scale));
  const seed = env.FUZZ_SEED === undefined || env.FUZZ_SEED === '' ? undefined : Number(env.FUZZ_SEED);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`FUZZ_SEED: expected an integer, got "${env.FUZZ_SEED}"`);
  if (env.FUZZ_TALLY) fs.appendFileSync(env.FUZZ_TALLY, `${numRuns}\n`);
  return seed === undefined ? { numRuns } : { numRuns, seed };
}
