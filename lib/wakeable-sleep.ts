// A sleep that stop() can cut short: loops that wait between attempts (informers, the leader
// elector) end at once instead of after their current delay.
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export class WakeableSleep {
  private pending: { timer: TimerHandle; resolve: () => void } | undefined;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Resolves after ms, or at the next wake(). */
  sleep(ms: number): Promise<void> {
    this.wake();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => this.wake(), ms);
      this.pending = { timer, resolve };
    });
  }

  /** Ends the current sleep now (no effect when none is running). */
  wake(): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.timer.cancel();
    pending?.resolve();
  }
}
