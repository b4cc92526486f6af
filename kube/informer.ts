// A list-then-watch cache of one resource type. Re-watches from the last resourceVersion (bookmarks
// keep it fresh), re-lists on 410 Gone / Expired, backs off on errors, drops watches that go silent
// past their timeout, and replays every object to the handlers on a resync period.
import { ApiError, apiVersionOf, isGone, type KubeApi, type KubeObject, type ResourceType, type WatchEnd, type WatchEvent } from './kube-api.js';
import { Backoff } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import { WakeableSleep } from '../lib/wakeable-sleep.js';

export interface InformerHandlers<T> {
  onAdd?(object: T): void;
  onUpdate?(previous: T, object: T): void;
  onDelete?(object: T): void;
}

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  /** e.g. metadata.name=NAME: one object, which RBAC with resourceNames allows to list and watch. */
  fieldSelector?: string;
  /** Shrinks cached objects (drop managedFields, unused spec) to keep memory flat. */
  transform?: (object: T) => T;
  /** Server-side watch timeout; a random 0-50 % is added so watches do not all end together. */
  watchTimeoutSeconds?: number;
  resyncMs?: number;
  pageSize?: number;
  backoffMs?: { initial: number; max: number };
  onError?: (error: Error, during: 'list' | 'watch') => void;
  /** The pauses after a failed list or watch (default: the system clock). */
  clock?: Clock;
}

export interface InformerStats {
  lists: number;
  watches: number;
  expired: number;
  watchFailures: number;
}

export function objectKey(object: KubeObject): string {
  const meta = object.metadata ?? {};
  return meta.namespace ? `${meta.namespace}/${meta.name}` : String(meta.name);
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private resourceVersion = '';
  private needList = true;
  private stopped = false;
  private synced = false;
  private current?: { stop(): void };
  private resyncTimer?: NodeJS.Timeout;
  private readonly sleeper: WakeableSleep;
  private loop?: Promise<void>;
  readonly stats: InformerStats = { lists: 0, watches: 0, expired: 0, watchFailures: 0 };
  private syncedWaiters: (() => void)[] = [];

  constructor(
    private readonly api: KubeApi,
    readonly type: ResourceType,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.sleeper = new WakeableSleep(options.clock);
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts the loop; resolves once the first list is in the cache. */
  start(): Promise<void> {
    if (!this.loop) {
      this.loop = this.run();
      if (this.options.resyncMs) {
        this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
        this.resyncTimer.unref();
      }
    }
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.current?.stop();
    this.sleeper.wake();
    await this.loop;
  }

  /**
   * Drops the current watch and resumes from `resourceVersion`, as after a long disconnect. Used
   * to make the apiserver answer 410 Gone for a version it no longer has.
   */
  resumeFrom(resourceVersion: string): void {
    this.resourceVersion = resourceVersion;
    this.needList = false;
    this.current?.stop();
  }

  private resync(): void {
    for (const object of this.store.values()) this.emit((h) => h.onUpdate?.(object, object));
  }

  private emit(call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.handlers) call(handlers);
  }

  private async run(): Promise<void> {
    const { initial, max } = this.options.backoffMs ?? { initial: 250, max: 30_000 };
    const backoff = new Backoff({ initialMs: initial, maxMs: max });
    // Jittered to 50-100 % of the delay, so informers that failed together do not retry together.
    const pause = () => this.sleeper.sleep(backoff.next() * (0.5 + Math.random() / 2));
    while (!this.stopped) {
      if (this.needList) {
        try {
          await this.relist();
          this.needList = false;
          backoff.reset();
        } catch (error) {
          this.options.onError?.(error as Error, 'list');
          await pause();
          continue;
        }
      }
      const end = await this.watchOnce();
      if (this.stopped) break;
      if (end.kind === 'failed') {
        this.stats.watchFailures++;
        if (isGone(end.error)) {
          this.stats.expired++;
          this.needList = true;
        } else {
          this.options.onError?.(end.error, 'watch');
          await pause();
        }
      } else if (end.kind === 'closed') {
        backoff.reset();
      }
    }
  }

  private async relist(): Promise<void> {
    this.stats.lists++;
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.api.list<T>(this.type, {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: this.options.pageSize ?? 500,
        continue: continueToken,
      });
      for (const item of page.items) {
        // List items carry no apiVersion/kind.
        const object = { apiVersion: apiVersionOf(this.type), kind: this.type.kind, ...item } as T;
        fresh.set(objectKey(object), this.shrink(object));
      }
      continueToken = page.continue;
      resourceVersion = page.resourceVersion;
    } while (continueToken);
    const previous = new Map(this.store);
    this.store.clear();
    for (const [key, object] of fresh) this.store.set(key, object);
    this.resourceVersion = resourceVersion;
    for (const [key, object] of fresh) {
      const old = previous.get(key);
      if (!old) this.emit((h) => h.onAdd?.(object));
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.emit((h) => h.onUpdate?.(old, object));
    }
    for (const [key, old] of previous) if (!fresh.has(key)) this.emit((h) => h.onDelete?.(old));
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncedWaiters.splice(0)) resolve();
    }
  }

  private shrink(object: T): T {
    if (object.metadata?.managedFields) delete object.metadata.managedFields;
    return this.options.transform ? this.options.transform(object) : object;
  }

  private async watchOnce(): Promise<WatchEnd> {
    this.stats.watches++;
    const base = this.options.watchTimeoutSeconds ?? 300;
    let expired: Error | undefined;
    const handle = this.api.watch<T>(
      this.type,
      {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        resourceVersion: this.resourceVersion,
        timeoutSeconds: Math.round(base * (1 + Math.random() / 2)),
      },
      (event) => {
        const problem = this.onWatchEvent(event);
        if (problem) {
          expired = problem;
          handle.stop();
        }
      },
    );
    this.current = handle;
    const end = await handle.ended;
    this.current = undefined;
    if (expired) return { kind: 'failed', error: expired };
    return end;
  }

  /** Applies one watch event to the cache; returns an error that must end the watch. */
  private onWatchEvent(event: WatchEvent<T>): Error | undefined {
    if (event.type === 'ERROR') {
      // The apiserver's Status as the error it stands for: run() re-lists after 410 Gone / Expired
      // (isGone), and re-watches after a pause for anything else.
      const { status } = event;
      return new ApiError(status.code ?? 500, status.reason ?? 'InternalError', status.message ?? 'watch error', status);
    }
    const object = event.object;
    const rv = object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return undefined;
    const key = objectKey(object);
    if (event.type === 'DELETED') {
      const old = this.store.get(key);
      this.store.delete(key);
      this.emit((h) => h.onDelete?.(old ?? object));
      return undefined;
    }
    const shrunk = this.shrink(object);
    const old = this.store.get(key);
    this.store.set(key, shrunk);
    if (!old) this.emit((h) => h.onAdd?.(shrunk));
    else this.emit((h) => h.onUpdate?.(old, shrunk));
    return undefined;
  }
}
