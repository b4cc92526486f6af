// Runs jobs one at a time, each to completion: a job submitted while another runs waits its turn
// (first in, first out) instead of running inside it.
export class JobQueue {
  private readonly waiting: (() => void)[] = [];
  private busy = false;

  /** Runs `job` now, then every job submitted meanwhile; while a job runs, queues it. */
  run(job: () => void): void {
    if (this.busy) {
      this.waiting.push(job);
      return;
    }
    this.busy = true;
    try {
      job();
      for (let next = this.waiting.shift(); next; next = this.waiting.shift()) next();
    } finally {
      this.busy = false;
    }
  }

  isBusy(): boolean {
    return this.busy;
  }
}
