// Bounds the operator's writes in flight and serves them by priority. When many CorePods arrive at
// once the apiserver is the bottleneck; with the queue on our side instead of its, the writes that
// let pods start (ConfigMap, ServiceAccount, Deployment) go before those that can follow
// (Role, RoleBinding, Service, status). FIFO within a priority. A write is never preempted, so
// follow-up writes may hold at most a quarter of the slots: the rest stay free for workload writes
// that arrive meanwhile (a Deployment write comes one round trip after its ConfigMap's), and as the
// apiserver shares its CPU among the requests in flight, those get most of it.

export enum WritePriority {
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
  private followInFlight = 0;
  private readonly waiting: Waiting[][] = [[], []];
  private readonly maxFollow: number;

  constructor(readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`maxInFlight must be a positive integer, got ${maxInFlight}`);
    this.maxFollow = Math.max(1, Math.floor(maxInFlight / 4));
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
      const follow = priority === WritePriority.Follow;
      const start = () => {
        this.inFlight++;
        if (follow) this.followInFlight++;
        let result: Promise<T>;
        try {
          result = write();
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(resolve, reject).finally(() => {
          this.inFlight--;
          if (follow) this.followInFlight--;
          this.next();
        });
      };
      if (this.mayStart(priority)) start();
      else this.waiting[priority]!.push({ start });
    });
  }

  private mayStart(priority: WritePriority): boolean {
    return this.inFlight < this.maxInFlight && (priority === WritePriority.Workload || this.followInFlight < this.maxFollow);
  }

  private next(): void {
    for (const priority of [WritePriority.Workload, WritePriority.Follow]) {
      if (this.waiting[priority]!.length > 0 && this.mayStart(priority)) {
        this.waiting[priority]!.shift()!.start();
        return;
      }
    }
  }
}
