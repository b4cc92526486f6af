// Bounds the operator's writes in flight and serves them by priority. When many CorePods arrive at
// once the apiserver is the bottleneck; with the queue on our side instead of its, the writes that
// let pods start (ConfigMap, ServiceAccount, Deployment) go before those that can follow
// (Role, RoleBinding, Service, status). FIFO within a priority.

export const enum WritePriority {
  /** What the pods need to start. */
  Workload = 0,
  /** Everything else: identity the sidecar uses later, the Service, status. */
  Follow = 1,
}

interface Waiting {
  start: () => void;
}

export class WriteScheduler {
  private inFlight = 0;
  private readonly waiting: Waiting[][] = [[], []];

  constructor(readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }

  /** Writes waiting for a slot, by priority. */
  get queued(): number[] {
    return this.waiting.map((w) => w.length);
  }

  get running(): number {
    return this.inFlight;
  }

  run<T>(priority: WritePriority, write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.inFlight++;
        let result: Promise<T>;
        try {
          result = write();
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(resolve, reject).finally(() => {
          this.inFlight--;
          this.next();
        });
      };
      if (this.inFlight < this.maxInFlight) start();
      else this.waiting[priority]!.push({ start });
    });
  }

  private next(): void {
    for (const queue of this.waiting) {
      const first = queue.shift();
      if (first) return first.start();
    }
  }
}
