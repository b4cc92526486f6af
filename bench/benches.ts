import type { Bench } from './lib/bench.js';
import { logCapture } from './log-capture.js';
import { orphanStorm } from './orphan-storm.js';
import { respawn } from './respawn.js';
import { rss } from './rss.js';
import { sigterm } from './sigterm.js';
import { startup } from './startup.js';

/** Every benchmark, in the order of issue 2 item 9. */
export const BENCHES: Bench[] = [respawn, logCapture, rss, startup, sigterm, orphanStorm];
