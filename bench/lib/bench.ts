// What every benchmark module exports, and what run.ts gives it.
import type { BenchResult } from './report.js';

export type Size = 'tiny' | 'full';

export const PEER_NAMES = ['supervisord', 'pm2', 's6'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

export interface BenchContext {
  size: Size;
  log(message: string): void;
  /** Peers to run next to CorePod (default: all the benchmark has). */
  peers: ReadonlySet<PeerName>;
}

export interface Bench {
  name: string;
  title: string;
  run(context: BenchContext): Promise<BenchResult>;
}
