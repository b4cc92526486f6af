// Several namespaces watched as one cache (operator --watch-namespaces): one Informer per
// namespace, so RBAC needs only a Role in each, behind the part of Informer's surface the
// controller uses. Keys are "namespace/name", so a lookup goes straight to its namespace's cache.
import type { KubeApi, KubeObject, ResourceType } from './kube-api.js';
import { Informer, type InformerHandlers, type InformerOptions, type InformerStats } from './informer.js';

export type CacheInformer<T extends KubeObject> = Informer<T> | NamespacesInformer<T>;

export class NamespacesInformer<T extends KubeObject> {
  private readonly byNamespace: Map<string, Informer<T>>;

  constructor(
    api: KubeApi,
    readonly type: ResourceType,
    namespaces: readonly string[],
    options: Omit<InformerOptions<T>, 'namespace'> = {},
  ) {
    if (namespaces.length === 0) throw new Error('NamespacesInformer needs at least one namespace');
    this.byNamespace = new Map(namespaces.map((namespace) => [namespace, new Informer<T>(api, type, { ...options, namespace })]));
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    for (const informer of this.byNamespace.values()) informer.addHandlers(handlers);
  }

  get hasSynced(): boolean {
    return [...this.byNamespace.values()].every((i) => i.hasSynced);
  }

  get(key: string): T | undefined {
    return this.byNamespace.get(key.slice(0, key.indexOf('/')))?.get(key);
  }

  list(): T[] {
    return [...this.byNamespace.values()].flatMap((i) => i.list());
  }

  get size(): number {
    return [...this.byNamespace.values()].reduce((sum, i) => sum + i.size, 0);
  }

  get stats(): InformerStats {
    const total: InformerStats = { lists: 0, watches: 0, expired: 0, watchFailures: 0 };
    for (const { stats } of this.byNamespace.values()) for (const k of Object.keys(total) as (keyof InformerStats)[]) total[k] += stats[k];
    return total;
  }

  async start(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.stop()));
  }
}

/** One Informer for every namespace (or the one given), or one per namespace listed. */
export function cacheInformer<T extends KubeObject>(api: KubeApi, type: ResourceType, namespaces: readonly string[] | undefined, options: InformerOptions<T>): CacheInformer<T> {
  return namespaces && namespaces.length > 1
    ? new NamespacesInformer<T>(api, type, namespaces, options)
    : new Informer<T>(api, type, { ...options, ...(namespaces?.[0] ? { namespace: namespaces[0] } : {}) });
}
