// How many connections an endpoint accepts per second (a token bucket): the supervisor serves its
// endpoints on the same event loop that supervises, so a flood must not get unbounded time there.
// A connection over the budget is closed before anything of it is read. Pure, on a Clock.
import type { Clock } from '../lib/clock.js';

export interface ConnectionBudget {
  /** Whether one more connection may be served now (takes a token if so). */
  take(): boolean;
}

export function connectionBudget(clock: Clock, perSecond: number, burst: number): ConnectionBudget {
  let tokens = burst;
  let at = clock.now();
  return {
    take() {
      const now = clock.now();
      tokens = Math.min(burst, tokens + ((now - at) / 1000) * perSecond);
      at = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
