// Our own narrow port in front of the Kubernetes API: the operator and its tests depend on this,
// not on @kubernetes/client-node, whose request layer changes between majors.

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  deletionTimestamp?: string | Date;
  creationTimestamp?: string | Date;
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion: string;
  timeoutSeconds: number;
}

export type WatchEvent<T> = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T } | { type: 'ERROR'; status: ApiStatus };

/** How a watch ended: closed by the server (normal at timeoutSeconds), failed, or stopped by us. */
export type WatchEnd = { kind: 'closed' } | { kind: 'stopped' } | { kind: 'failed'; error: Error };

export interface WatchHandle {
  stop(): void;
  readonly ended: Promise<WatchEnd>;
}

export interface ApiStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

/** The apiserver's /version (major and minor may carry a provider's suffix, e.g. "35+"). */
export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

export type PatchType = 'json' | 'merge' | 'apply';

export interface KubeApi {
  /** undefined when the object does not exist. */
  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined>;
  list<T extends KubeObject>(type: ResourceType, options?: ListOptions): Promise<ListResult<T>>;
  watch<T extends KubeObject>(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle;
  /** Server-side apply of a whole object (or of its status with subresource 'status'). */
  apply<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options: { fieldManager: string; force: boolean; subresource?: 'status' }): Promise<T>;
  create<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options?: { fieldManager?: string }): Promise<T>;
  /** PUT with metadata.resourceVersion: optimistic concurrency (409 Conflict when stale). */
  replace<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options?: { fieldManager?: string }): Promise<T>;
  patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options?: { fieldManager?: string; subresource?: 'status' },
  ): Promise<T>;
  /** Resolves also when the object is already gone. */
  delete(type: ResourceType, namespace: string | undefined, name: string, options?: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string }): Promise<void>;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: ApiStatus,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.code === 404;
export const isConflict = (error: unknown): boolean => error instanceof ApiError && error.code === 409;
export const isGone = (error: unknown): boolean => {
  const e = error as { code?: unknown; reason?: unknown } | undefined;
  return typeof e === 'object' && e !== null && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');
};
/**
 * What a failed request means for whoever sent it: 'notFound', the object (or its namespace) does not
 * exist; 'permanent', the same request will never succeed (invalid, forbidden, too large);
 * 'retry', it may succeed later (timeouts, conflicts, throttling, 5xx, network errors, and a 401
 * the client already retried with a fresh token while credentials rotate).
 */
export type ApiErrorClass = 'retry' | 'notFound' | 'permanent';

const TRANSIENT_4XX: ReadonlySet<number> = new Set([401, 408, 409, 425, 429]);

export function classifyApiError(error: unknown): ApiErrorClass {
  if (!(error instanceof ApiError)) return 'retry';
  if (error.code === 404) return 'notFound';
  if (error.code >= 400 && error.code < 500 && !TRANSIENT_4XX.has(error.code)) return 'permanent';
  return 'retry';
}

/** Retrying the same request will not help (see classifyApiError). */
export const isPermanent = (error: unknown): boolean => classifyApiError(error) !== 'retry';

/** metav1.MicroTime as the API writes it: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** metav1.Time as the API writes it: RFC 3339 in whole seconds. */
export function metaTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const root = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name ? `/${encodeURIComponent(name)}` : '';
  const sub = name && subresource ? `/${subresource}` : '';
  return `${root}${ns}/${type.plural}${item}${sub}`;
}
