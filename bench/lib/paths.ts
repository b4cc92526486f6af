import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/lib). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** The corepod CLI under test; COREPOD_BENCH_CLI points at another build for A/B comparisons. */
export const COREPOD_CLI = process.env.COREPOD_BENCH_CLI ?? path.join(REPO, 'bin', 'corepod.js');
/** Compiled helper programs the benchmarks run under each supervisor. */
export const CHILDREN = fileURLToPath(new URL('../children/', import.meta.url));
/** Where installed peers (pm2) are cached, outside the repository. */
export const CACHE = process.env.COREPOD_CACHE ?? '/var/cache/corepod';
