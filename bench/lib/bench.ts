// What every benchmark module exports, and what run.ts gives it.
import type { BenchResult } from './report.js';

export type Size = 'tiny' | 'full';

export interface BenchContext {
  size: Size;
  log(message: string): void;
  /** Peers to run next to CorePod (default: all the benchmark has). */
  peers: ReadonlySet<'supervisord' | 'pm2'>;
}

export interface Bench {
  name: string;
  title: string;
  run(context: BenchContext): Promise<BenchResult>;
}
