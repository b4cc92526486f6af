// An in-memory KubeApi with the apiserver semantics CorePod relies on, so reconcile logic, informers
// and leader election run in unit tests without a cluster.
//
// Modelled: objects per type/namespace/name with uid, creationTimestamp and generation (bumped when
// anything but metadata, and status where the type has a status subresource, changes); one
// resourceVersion counter for all types (etcd's revision), not bumped by a write that changes nothing;
// get; list with label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors
// (metadata.name, metadata.namespace), limit/continue pages served from a consistent snapshot at the
// first page's revision (410 Expired once compacted); watch from a resourceVersion (history replayed,
// '' or '0' start with synthetic ADDED events), objects entering or leaving a selector arrive as
// ADDED/DELETED, BOOKMARK on demand and before a watch times out at timeoutSeconds (on the clock
// given), 410 Expired on demand (expireWatches) or for a resourceVersion older than the last
// compaction; create (409 AlreadyExists, generateName); replace with optimistic concurrency (409
// Conflict on a stale resourceVersion; custom resources refuse an update without one, 422); patch
// 'merge' (RFC 7386) and 'json' (RFC 6902; a failed test is 422), a resourceVersion in the patched
// object is a precondition; a status subresource separate from the main object (main writes keep
// status, status writes keep the rest; 404 for types without one); delete with a uid precondition
// (409), resolving when already gone, and garbage collection of dependents whose owners are all gone
// (unless propagationPolicy is Orphan); list items of built-in types without apiVersion/kind, as the
// apiserver's JSON lists have them; errors as ApiError with the apiserver's code, reason and message.
//
// Server-side apply is an approximation: the fake remembers each field manager's last applied
// configuration per object (and subresource), removes the fields that manager applied before and
// omits now, then merges the new configuration in as a JSON merge patch. Not modelled: managedFields
// ownership (entries name manager, operation and subresource but carry no fieldsV1, so fields another
// manager took over by an update are still removed when ours stops applying them); lists are atomic
// (replaced whole, never merged by key as containers, env or ports are in the real schema); a conflict
// without force is any leaf whose live value differs and that this manager did not apply last time.
//
// Not modelled at all: schema validation and defaulting (no OpenAPI, no admission, no CRD schema),
// namespaces' existence, finalizers and deletionTimestamp (a delete removes at once; Foreground
// deletion is not modelled), authentication and RBAC, watch caches lagging behind writes, periodic
// bookmarks, dry-run, the Table format and resourceVersionMatch.
//
// Failure injection: failNext makes the next N calls of a verb fail with a code or an error;
// hold makes the next call of a verb wait for release() (its effect happens at release).
// idle() waits until whatever reacts to the fake has settled.
import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { systemClock, wallDate, type Clock, type TimerHandle } from '../lib/clock.js';
import {
  ApiError,
  apiVersionOf,
  metaTime,
  type ApiStatus,
  type KubeApi,
  type KubeObject,
  type ListOptions,
  type ObjectMetaLike,
  type ListResult,
  type PatchType,
  type ResourceType,
  type WatchEnd,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from './kube-api.js';
import { isObject, jsonPatch, leafPaths, mergePatch, PatchError, removeAt, valueAt, type Json, type JsonObject } from './fake-kube-api-patch.js';
import { fieldSelector, labelSelector, SelectorError, type Selector } from './fake-kube-api-selector.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'replace' | 'patch' | 'apply' | 'delete';

export interface Call {
  verb: Verb;
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: 'status';
  /** For patch: the patch type. */
  patchType?: PatchType;
  fieldManager?: string;
}

/** Which calls an injection applies to: the verb, and optionally the type, name, subresource. */
export interface CallFilter {
  type?: ResourceType;
  name?: string;
  /** 'main' for calls without a subresource. */
  subresource?: 'status' | 'main';
}

/** How a type behaves in the apiserver: registry strategies differ per type. */
export interface TypeTraits {
  statusSubresource: boolean;
  generation: boolean;
  /** A PUT without metadata.resourceVersion is allowed (false for custom resources). */
  unconditionalUpdate: boolean;
}

const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'rbac.authorization.k8s.io', 'coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io', 'policy', 'networking.k8s.io']);

const isBuiltIn = (type: ResourceType) => BUILT_IN_GROUPS.has(type.group);

export function defaultTraits(type: ResourceType): TypeTraits {
  const key = `${type.group}/${type.plural}`;
  if (!isBuiltIn(type)) return { statusSubresource: true, generation: true, unconditionalUpdate: false };
  if (['apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'apiextensions.k8s.io/customresourcedefinitions'].includes(key)) {
    return { statusSubresource: true, generation: true, unconditionalUpdate: true };
  }
  if (['/pods', '/services', '/namespaces'].includes(key)) return { statusSubresource: true, generation: false, unconditionalUpdate: true };
  return { statusSubresource: false, generation: false, unconditionalUpdate: true };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An ApiError as the apiserver's Status for `code` would produce it. */
export function apiError(code: number, message?: string, reason = REASONS[code] ?? 'Unknown', details?: ApiStatus['details'] & Record<string, unknown>): ApiError {
  const text = message ?? `injected ${code} ${reason}`;
  const status: ApiStatus & Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: text };
  if (details) status.details = details;
  return new ApiError(code, reason, text, status);
}

const resourceName = (type: ResourceType) => (type.group ? `${type.plural}.${type.group}` : type.plural);
const details = (type: ResourceType, name?: string) => ({ ...(name ? { name } : {}), group: type.group, kind: type.plural });
const notFound = (type: ResourceType, name: string) => apiError(404, `${resourceName(type)} "${name}" not found`, 'NotFound', details(type, name));
const noSuchResource = () => apiError(404, 'the server could not find the requested resource', 'NotFound');
const conflict = (type: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  apiError(409, `Operation cannot be fulfilled on ${resourceName(type)} "${name}": ${why}`, 'Conflict', details(type, name));
const invalid = (type: ResourceType, name: string, cause: string) => apiError(422, `${type.kind} "${name}" is invalid: ${cause}`, 'Invalid', details(type, name));

interface Stored {
  object: JsonObject;
  /** The last configuration each field manager applied, by `${manager}\0${subresource}`. */
  applied: Map<string, JsonObject>;
}

interface Change {
  revision: number;
  typeKey: string;
  key: string;
  /** The object after the change (for DELETED, the last state with the delete's revision). */
  object: JsonObject;
  /** The object before the change (undefined for ADDED). */
  previous?: JsonObject;
  event: 'ADDED' | 'MODIFIED' | 'DELETED';
}

interface OpenWatch {
  type: ResourceType;
  typeKey: string;
  matches: (object: JsonObject) => boolean;
  onEvent: (event: WatchEvent<KubeObject>) => void;
  queue: (WatchEvent<KubeObject> | WatchEnd)[];
  scheduled: boolean;
  done: boolean;
  finish: (end: WatchEnd) => void;
  timer?: TimerHandle;
}

interface Injection {
  verb: Verb;
  filter: CallFilter;
  remaining: number;
  error?: () => Error;
  gate?: { reached: (call: Call) => void; released: Promise<Error | undefined> };
}

export interface Gate {
  /** Resolves when a call is held. */
  readonly reached: Promise<Call>;
  /** Lets the held call proceed (it takes effect now). */
  release(): void;
  /** Lets the held call fail with this error. */
  fail(error: Error): void;
}

export interface FakeKubeApiOptions {
  /** Watch timeouts and timestamps (creationTimestamp, managedFields time). */
  clock?: Clock;
  traits?: (type: ResourceType) => TypeTraits;
}

/** Leaves of an applied configuration that name the object rather than set a field. */
const IDENTITY_PATHS = new Set(['apiVersion', 'kind', 'metadata.name', 'metadata.namespace']);

const typeKeyOf = (type: ResourceType) => `${type.group}/${type.plural}`;
const keyOf = (type: ResourceType, namespace: string | undefined, name: string) => (type.namespaced ? `${namespace ?? ''}/${name}` : name);
const metaOf = (object: JsonObject): JsonObject => (isObject(object.metadata) ? object.metadata : {});
const toJson = (value: unknown): JsonObject => {
  if (!isObject(value)) throw apiError(400, 'the body of the request was not a JSON object');
  return structuredClone(value);
};

export class FakeKubeApi implements KubeApi {
  private readonly stores = new Map<string, Map<string, Stored>>();
  private readonly history: Change[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly injections: Injection[] = [];
  /** The types by typeKey, for the garbage collector. */
  private readonly typesSeen = new Map<string, ResourceType>();
  private readonly clock: Clock;
  private readonly traitsOf: (type: ResourceType) => TypeTraits;
  private revision = 0;
  private compacted = 0;
  /** Watch events and ends handed to watchers so far. */
  private delivered = 0;
  /** Every call, in order, including failed ones. */
  readonly calls: Call[] = [];

  constructor(options: FakeKubeApiOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.traitsOf = options.traits ?? defaultTraits;
  }

  // ---- test controls ----

  /** The next `times` calls of `verb` matching `filter` fail with `error` (an HTTP code, an ApiError or any Error). */
  failNext(verb: Verb, error: number | Error, options: CallFilter & { times?: number } = {}): void {
    const { times = 1, ...filter } = options;
    const make = typeof error === 'number' ? () => apiError(error) : () => error;
    this.injections.push({ verb, filter, remaining: times, error: make });
  }

  /** The next call of `verb` matching `filter` waits until the gate is released or failed. */
  hold(verb: Verb, filter: CallFilter = {}): Gate {
    let reached!: (call: Call) => void;
    let settle!: (error: Error | undefined) => void;
    const reachedPromise = new Promise<Call>((resolve) => (reached = resolve));
    const released = new Promise<Error | undefined>((resolve) => (settle = resolve));
    this.injections.push({ verb, filter, remaining: 1, gate: { reached, released } });
    return { reached: reachedPromise, release: () => settle(undefined), fail: (error) => settle(error) };
  }

  /** Drops every injection not used yet. */
  clearInjections(): void {
    this.injections.length = 0;
  }

  /** Calls of a verb (and type) so far. */
  callsOf(verb: Verb, type?: ResourceType): Call[] {
    return this.calls.filter((c) => c.verb === verb && (!type || typeKeyOf(c.type) === typeKeyOf(type)));
  }

  /** The stored object (a copy), without going through a call. */
  peek<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    const stored = this.store(type).get(keyOf(type, namespace, name));
    return stored ? (structuredClone(stored.object) as unknown as T) : undefined;
  }

  /** Every stored object of a type (copies), sorted by namespace and name. */
  objects<T extends KubeObject>(type: ResourceType, namespace?: string): T[] {
    return [...this.store(type).entries()]
      .filter(([, s]) => !namespace || metaOf(s.object).namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => structuredClone(s.object) as unknown as T);
  }

  get currentRevision(): string {
    return String(this.revision);
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** Forgets the history up to now: watches and list continuations from before it get 410 Expired. */
  compact(): void {
    this.compacted = this.revision;
    this.history.length = 0;
  }

  /** Compacts, then ends every open watch with an ERROR 410 Expired event. */
  expireWatches(): void {
    this.compact();
    for (const watch of this.watches) {
      this.enqueue(watch, { type: 'ERROR', status: expiredStatus(`too old resource version: ${this.compacted} (${this.compacted + 1})`) });
      this.enqueue(watch, { kind: 'closed' });
    }
  }

  /**
   * Resolves once nothing has happened here for `quietTurns` event-loop turns in a row: no call, no
   * watch delivery pending or made. By then whatever reacts to this API (informers, a controller's
   * reconciles, a leader elector) has done all it can without a timer, so a test that runs its
   * timers on a FakeClock can assert on a settled state (real timers are not waited for). Fails
   * after maxTurns of steady activity.
   */
  async idle(quietTurns = 50, maxTurns = 100_000): Promise<void> {
    let seen = -1;
    let quiet = 0;
    for (let turn = 0; quiet < quietTurns; turn++) {
      if (turn >= maxTurns) throw new Error(`FakeKubeApi.idle: still busy after ${maxTurns} event-loop turns`);
      await new Promise<void>((resolve) => setImmediate(resolve));
      const activity = this.calls.length + this.delivered;
      const pending = [...this.watches].some((w) => w.scheduled);
      quiet = activity === seen && !pending ? quiet + 1 : 0;
      seen = activity;
    }
  }

  /** Sends every open watch a BOOKMARK with the current resourceVersion. */
  bookmark(): void {
    for (const watch of this.watches) this.enqueue(watch, this.bookmarkEvent(watch.type));
  }

  /** Ends every open watch as the server does at timeoutSeconds. */
  closeWatches(): void {
    for (const watch of this.watches) this.enqueue(watch, { kind: 'closed' });
  }

  // ---- KubeApi ----

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    await this.enter({ verb: 'get', type, namespace, name });
    return this.peek<T>(type, namespace, name);
  }

  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ListResult<T>> {
    await this.enter({ verb: 'list', type, namespace: options.namespace });
    const matches = this.matcher(type, options);
    let revision = this.revision;
    let after: string | undefined;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.revision < this.compacted) {
        throw apiError(410, 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.', 'Expired');
      }
      revision = token.revision;
      after = token.after;
    }
    const snapshot = [...this.snapshotAt(type, revision).entries()]
      .filter(([key, object]) => (after === undefined || key > after) && matches(object))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const limit = options.limit && options.limit > 0 ? options.limit : snapshot.length;
    const page = snapshot.slice(0, limit);
    const items = page.map(([, object]) => {
      const item = structuredClone(object);
      if (isBuiltIn(type)) {
        delete item.apiVersion;
        delete item.kind;
      }
      return item as unknown as T;
    });
    const result: ListResult<T> = { items, resourceVersion: String(revision) };
    if (snapshot.length > limit) result.continue = encodeContinue(revision, page[page.length - 1]![0]);
    return result;
  }

  watch<T extends KubeObject>(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    let finish!: (end: WatchEnd) => void;
    const ended = new Promise<WatchEnd>((resolve) => (finish = resolve));
    const watch: OpenWatch = {
      type,
      typeKey: typeKeyOf(type),
      matches: () => false,
      onEvent: onEvent as (event: WatchEvent<KubeObject>) => void,
      queue: [],
      scheduled: false,
      done: false,
      finish,
    };
    const stop = () => {
      if (watch.done) return;
      watch.queue.length = 0;
      this.end(watch, { kind: 'stopped' });
    };
    const start = async () => {
      try {
        await this.enter({ verb: 'watch', type, namespace: options.namespace });
        watch.matches = this.matcher(type, options);
      } catch (error) {
        if (!watch.done) this.end(watch, { kind: 'failed', error: error as Error });
        return;
      }
      if (watch.done) return;
      this.watches.add(watch);
      const from = options.resourceVersion;
      if (from === '' || from === '0') {
        for (const [, stored] of [...this.store(type).entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
          if (watch.matches(stored.object)) this.enqueue(watch, { type: 'ADDED', object: structuredClone(stored.object) as KubeObject });
        }
      } else {
        const since = Number(from);
        if (!Number.isInteger(since) || since < 0) {
          this.enqueue(watch, { type: 'ERROR', status: apiError(400, `invalid resourceVersion "${from}"`).status! });
          this.enqueue(watch, { kind: 'closed' });
          return;
        }
        if (since < this.compacted) {
          this.enqueue(watch, { type: 'ERROR', status: expiredStatus(`too old resource version: ${since} (${this.compacted + 1})`) });
          this.enqueue(watch, { kind: 'closed' });
          return;
        }
        for (const change of this.history) if (change.revision > since && change.typeKey === watch.typeKey) this.deliver(watch, change);
      }
      watch.timer = this.clock.setTimeout(() => {
        this.enqueue(watch, this.bookmarkEvent(type));
        this.enqueue(watch, { kind: 'closed' });
      }, options.timeoutSeconds * 1000);
    };
    void start();
    return { ended, stop };
  }

  async create<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options: { fieldManager?: string } = {}): Promise<T> {
    const body = toJson(object);
    const meta = metaOf(body);
    const generateName = typeof meta.generateName === 'string' ? meta.generateName : undefined;
    const name = typeof meta.name === 'string' && meta.name ? meta.name : generateName ? `${generateName}${randomBytes(3).toString('hex').slice(0, 5)}` : undefined;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    await this.enter({ verb: 'create', type, namespace, ...(name ? { name } : {}), ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}) });
    if (!name) throw invalid(type, '', 'metadata.name: Required value: name or generateName is required');
    if (meta.resourceVersion) throw apiError(400, 'resourceVersion should not be set on objects to be created');
    this.checkTypeMeta(type, body);
    return this.insert(type, body, name, namespace, options.fieldManager ?? 'unknown', 'Update') as T;
  }

  async replace<T extends KubeObject, B extends KubeObject = T>(type: ResourceType, object: B, options: { fieldManager?: string } = {}): Promise<T> {
    const body = toJson(object);
    const meta = metaOf(body);
    const name = String(meta.name ?? '');
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    await this.enter({ verb: 'replace', type, namespace, name, ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}) });
    this.checkTypeMeta(type, body);
    const stored = this.existing(type, namespace, name);
    const current = metaOf(stored.object);
    if (meta.resourceVersion === undefined || meta.resourceVersion === '') {
      if (!this.traitsOf(type).unconditionalUpdate) throw invalid(type, name, 'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    } else if (meta.resourceVersion !== current.resourceVersion) throw conflict(type, name);
    if (meta.uid !== undefined && meta.uid !== current.uid)
      throw conflict(type, name, `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(current.uid)}`);
    return this.update(type, stored, body, 'main', options.fieldManager ?? 'unknown', 'Update') as T;
  }

  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options: { fieldManager?: string; subresource?: 'status' } = {},
  ): Promise<T> {
    if (patchType === 'apply') {
      if (!options.fieldManager) throw invalid(type, name, 'fieldManager: Required value: is required for apply patch');
      const object = toJson(body);
      return this.apply<T, KubeObject>(type, { ...object, metadata: { ...metaOf(object), name, ...(namespace ? { namespace } : {}) } } as KubeObject, {
        fieldManager: options.fieldManager,
        force: false,
        ...(options.subresource ? { subresource: options.subresource } : {}),
      });
    }
    await this.enter({ verb: 'patch', type, namespace, name, patchType, ...subresourceOf(options), ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}) });
    const stored = this.existing(type, namespace, name, options.subresource);
    let patched: Json;
    try {
      patched = patchType === 'merge' ? mergePatch(stored.object, toJson(body)) : jsonPatch(stored.object, body);
    } catch (error) {
      if (error instanceof PatchError) throw invalid(type, name, error.message);
      throw error;
    }
    if (!isObject(patched)) throw apiError(400, 'the patched object is not a JSON object');
    const rv = metaOf(patched).resourceVersion;
    if (rv !== undefined && rv !== metaOf(stored.object).resourceVersion) throw conflict(type, name);
    return this.update(type, stored, patched, options.subresource ?? 'main', options.fieldManager ?? 'unknown', 'Update') as T;
  }

  async apply<T extends KubeObject, B extends KubeObject = T>(
    type: ResourceType,
    object: B,
    options: { fieldManager: string; force: boolean; subresource?: 'status' },
  ): Promise<T> {
    const config = toJson(object);
    const meta = metaOf(config);
    const name = typeof meta.name === 'string' ? meta.name : '';
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    await this.enter({ verb: 'apply', type, namespace, name, fieldManager: options.fieldManager, ...subresourceOf(options) });
    if (!name) throw invalid(type, '', 'metadata.name: Required value: name is required');
    if (typeof config.apiVersion !== 'string' || typeof config.kind !== 'string') throw apiError(400, 'apiVersion and kind must be set in an applied configuration');
    this.checkTypeMeta(type, config);
    const part = options.subresource ?? 'main';
    if (part === 'status' && !this.traitsOf(type).statusSubresource) throw noSuchResource();
    const managerKey = `${options.fieldManager}\u0000${part}`;
    const intent = structuredClone(config);
    delete metaOf(intent).resourceVersion;
    const stored = this.store(type).get(keyOf(type, namespace, name));
    if (!stored) {
      if (part === 'status') throw notFound(type, name);
      if (meta.resourceVersion) throw conflict(type, name);
      const created = this.insert(type, structuredClone(config), name, namespace, options.fieldManager, 'Apply');
      this.store(type)
        .get(keyOf(type, namespace, name))!
        .applied.set(managerKey, intent);
      return created as T;
    }
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== metaOf(stored.object).resourceVersion) throw conflict(type, name);
    const previous = stored.applied.get(managerKey);
    const owned = new Set((previous ? leafPaths(previous) : []).map((p) => JSON.stringify(p)));
    if (!options.force) {
      const conflicts = leafPaths(intent)
        .filter((path) => !owned.has(JSON.stringify(path)) && !IDENTITY_PATHS.has(path.join('.')))
        .filter((path) => {
          const live = valueAt(stored.object, path);
          return live !== undefined && !isDeepStrictEqual(live, valueAt(intent, path));
        });
      if (conflicts.length > 0) {
        throw apiError(409, `Apply failed with ${conflicts.length} conflict(s): ${conflicts.map((p) => `.${p.join('.')}`).join(', ')}`, 'Conflict', details(type, name));
      }
    }
    const base = structuredClone(stored.object);
    for (const path of previous ? leafPaths(previous) : []) {
      if (valueAt(intent, path) === undefined) removeAt(base, path);
    }
    const merged = mergePatch(base, intent) as JsonObject;
    const result = this.update(type, stored, merged, part, options.fieldManager, 'Apply');
    stored.applied.set(managerKey, intent);
    return result as T;
  }

  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string } = {},
  ): Promise<void> {
    await this.enter({ verb: 'delete', type, namespace, name });
    const key = keyOf(type, namespace, name);
    const stored = this.store(type).get(key);
    if (!stored) return;
    const uid = String(metaOf(stored.object).uid);
    if (options.uid !== undefined && options.uid !== uid) {
      throw conflict(type, name, `Precondition failed: UID in precondition: ${options.uid}, UID in object meta: ${uid}`);
    }
    this.remove(type, key);
    if (options.propagationPolicy !== 'Orphan') this.collectGarbage();
  }

  // ---- the apiserver's insides ----

  private store(type: ResourceType): Map<string, Stored> {
    const key = typeKeyOf(type);
    let store = this.stores.get(key);
    if (!store) {
      store = new Map();
      this.stores.set(key, store);
    }
    return store;
  }

  /** Records the call, then applies the first matching injection (a failure or a hold). */
  private async enter(call: Call): Promise<void> {
    this.typesSeen.set(typeKeyOf(call.type), call.type);
    this.calls.push(call);
    const index = this.injections.findIndex((i) => i.verb === call.verb && matchesFilter(i.filter, call));
    if (index < 0) return;
    const injection = this.injections[index]!;
    if (--injection.remaining <= 0) this.injections.splice(index, 1);
    if (injection.gate) {
      injection.gate.reached(call);
      const error = await injection.gate.released;
      if (error) throw error;
      return;
    }
    throw injection.error!();
  }

  private existing(type: ResourceType, namespace: string | undefined, name: string, subresource?: 'status'): Stored {
    if (subresource === 'status' && !this.traitsOf(type).statusSubresource) throw noSuchResource();
    const stored = this.store(type).get(keyOf(type, namespace, name));
    if (!stored) throw notFound(type, name);
    return stored;
  }

  private checkTypeMeta(type: ResourceType, body: JsonObject): void {
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(type))
      throw apiError(400, `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`);
    if (body.kind !== undefined && body.kind !== type.kind) throw apiError(400, `the kind in the data (${String(body.kind)}) does not match the expected kind (${type.kind})`);
  }

  private now(): string {
    return metaTime(wallDate(this.clock).getTime());
  }

  private managedEntry(type: ResourceType, manager: string, operation: 'Apply' | 'Update', subresource: 'main' | 'status'): JsonObject {
    return {
      manager,
      operation,
      apiVersion: apiVersionOf(type),
      time: this.now(),
      fieldsType: 'FieldsV1',
      ...(subresource === 'status' ? { subresource: 'status' } : {}),
    };
  }

  private insert(type: ResourceType, body: JsonObject, name: string, namespace: string | undefined, manager: string, operation: 'Apply' | 'Update'): KubeObject {
    const key = keyOf(type, namespace, name);
    if (this.store(type).has(key)) throw apiError(409, `${resourceName(type)} "${name}" already exists`, 'AlreadyExists', details(type, name));
    const traits = this.traitsOf(type);
    const meta = metaOf(body);
    const object: JsonObject = { ...body, apiVersion: apiVersionOf(type), kind: type.kind };
    if (traits.statusSubresource) delete object.status;
    const metadata: JsonObject = { ...meta, name, uid: randomUUID(), creationTimestamp: this.now() };
    if (type.namespaced) metadata.namespace = namespace ?? '';
    else delete metadata.namespace;
    delete metadata.generateName;
    if (traits.generation) metadata.generation = 1;
    else delete metadata.generation;
    metadata.managedFields = [this.managedEntry(type, manager, operation, 'main')];
    metadata.resourceVersion = String(++this.revision);
    object.metadata = metadata;
    this.store(type).set(key, { object, applied: new Map() });
    this.record({ revision: this.revision, typeKey: typeKeyOf(type), key, object: structuredClone(object), event: 'ADDED' });
    return structuredClone(object) as KubeObject;
  }

  /** Writes `next` over `stored` as the registry strategy of the part written would; a write that changes nothing is not a write. */
  private update(type: ResourceType, stored: Stored, next: JsonObject, part: 'main' | 'status', manager: string, operation: 'Apply' | 'Update'): KubeObject {
    const traits = this.traitsOf(type);
    const old = stored.object;
    const oldMeta = metaOf(old);
    let object: JsonObject;
    if (part === 'status') {
      object = { ...structuredClone(old) };
      if (next.status === undefined) delete object.status;
      else object.status = structuredClone(next.status);
    } else {
      object = { ...structuredClone(next), apiVersion: apiVersionOf(type), kind: type.kind };
      if (traits.statusSubresource) {
        if (old.status === undefined) delete object.status;
        else object.status = structuredClone(old.status);
      }
      const meta: JsonObject = { ...metaOf(object) };
      for (const field of ['name', 'namespace', 'uid', 'creationTimestamp', 'generation', 'resourceVersion', 'managedFields'] as const) {
        if (oldMeta[field] === undefined) delete meta[field];
        else meta[field] = oldMeta[field];
      }
      object.metadata = meta;
    }
    if (isDeepStrictEqual(object, old)) return structuredClone(old) as KubeObject;
    const meta = metaOf(object);
    const content = (o: JsonObject) => {
      const { metadata: _m, status: _s, ...rest } = o;
      return traits.statusSubresource ? rest : { ...rest, ...(o.status === undefined ? {} : { status: o.status }) };
    };
    if (traits.generation && !isDeepStrictEqual(content(object), content(old))) meta.generation = Number(oldMeta.generation ?? 0) + 1;
    const entries = (Array.isArray(oldMeta.managedFields) ? oldMeta.managedFields : []).filter(
      (e) => !(isObject(e) && e.manager === manager && e.operation === operation && (e.subresource ?? 'main') === part),
    );
    meta.managedFields = [...entries, this.managedEntry(type, manager, operation, part)];
    meta.resourceVersion = String(++this.revision);
    stored.object = object;
    const key = keyOf(type, typeof meta.namespace === 'string' ? meta.namespace : undefined, String(meta.name));
    this.record({ revision: this.revision, typeKey: typeKeyOf(type), key, object: structuredClone(object), previous: old, event: 'MODIFIED' });
    return structuredClone(object) as KubeObject;
  }

  private remove(type: ResourceType, key: string): void {
    const store = this.store(type);
    const stored = store.get(key)!;
    store.delete(key);
    const last = structuredClone(stored.object);
    metaOf(last).resourceVersion = String(++this.revision);
    this.record({ revision: this.revision, typeKey: typeKeyOf(type), key, object: last, previous: stored.object, event: 'DELETED' });
  }

  /** Deletes, until none is left, every object that had owners and none of which exists any more. */
  private collectGarbage(): void {
    for (;;) {
      const uids = new Set<string>();
      for (const store of this.stores.values()) for (const s of store.values()) uids.add(String(metaOf(s.object).uid));
      const orphans: [string, string][] = [];
      for (const [typeKey, store] of this.stores) {
        for (const [key, s] of store) {
          const owners = metaOf(s.object).ownerReferences;
          if (Array.isArray(owners) && owners.length > 0 && owners.every((o) => isObject(o) && !uids.has(String(o.uid)))) orphans.push([typeKey, key]);
        }
      }
      if (orphans.length === 0) return;
      for (const [typeKey, key] of orphans) this.remove(this.typesSeen.get(typeKey)!, key);
    }
  }

  private record(change: Change): void {
    this.history.push(change);
    for (const watch of this.watches) if (watch.typeKey === change.typeKey) this.deliver(watch, change);
  }

  /** One change as a watch with a selector sees it: objects entering or leaving the selection are ADDED or DELETED. */
  private deliver(watch: OpenWatch, change: Change): void {
    const now = change.event !== 'DELETED' && watch.matches(change.object);
    const before = change.previous !== undefined && watch.matches(change.previous);
    let event: WatchEvent<KubeObject> | undefined;
    if (change.event === 'DELETED') event = before ? { type: 'DELETED', object: structuredClone(change.object) as KubeObject } : undefined;
    else if (now && before) event = { type: 'MODIFIED', object: structuredClone(change.object) as KubeObject };
    else if (now) event = { type: 'ADDED', object: structuredClone(change.object) as KubeObject };
    else if (before) {
      const left = structuredClone(change.previous!);
      metaOf(left).resourceVersion = String(change.revision);
      event = { type: 'DELETED', object: left as KubeObject };
    }
    if (event) this.enqueue(watch, event);
  }

  private bookmarkEvent(type: ResourceType): WatchEvent<KubeObject> {
    return { type: 'BOOKMARK', object: { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { resourceVersion: String(this.revision) } } };
  }

  /** Events reach a watcher asynchronously and in order, as from a stream. */
  private enqueue(watch: OpenWatch, item: WatchEvent<KubeObject> | WatchEnd): void {
    if (watch.done) return;
    watch.queue.push(item);
    if (watch.scheduled) return;
    watch.scheduled = true;
    setImmediate(() => {
      watch.scheduled = false;
      while (!watch.done && watch.queue.length > 0) {
        const next = watch.queue.shift()!;
        this.delivered++;
        if ('kind' in next && !('type' in next)) this.end(watch, next);
        else watch.onEvent(next as WatchEvent<KubeObject>);
      }
    });
  }

  private end(watch: OpenWatch, end: WatchEnd): void {
    if (watch.done) return;
    watch.done = true;
    watch.timer?.cancel();
    this.watches.delete(watch);
    watch.finish(end);
  }

  private matcher(type: ResourceType, options: { namespace?: string; labelSelector?: string; fieldSelector?: string }): (object: JsonObject) => boolean {
    let labels: Selector;
    let fields: Selector;
    try {
      labels = labelSelector(options.labelSelector);
      fields = fieldSelector(options.fieldSelector);
    } catch (error) {
      if (error instanceof SelectorError) throw apiError(400, error.message);
      throw error;
    }
    const namespace = type.namespaced ? options.namespace : undefined;
    return (object) => {
      const meta = metaOf(object) as ObjectMetaLike;
      return (!namespace || meta.namespace === namespace) && labels(meta) && fields(meta);
    };
  }

  /** The objects of a type as they were at `revision` (current state with later changes undone). */
  private snapshotAt(type: ResourceType, revision: number): Map<string, JsonObject> {
    const state = new Map([...this.store(type)].map(([key, s]) => [key, s.object]));
    const typeKey = typeKeyOf(type);
    for (let i = this.history.length - 1; i >= 0 && this.history[i]!.revision > revision; i--) {
      const change = this.history[i]!;
      if (change.typeKey !== typeKey) continue;
      if (change.previous) state.set(change.key, change.previous);
      else state.delete(change.key);
    }
    return state;
  }
}

function expiredStatus(message: string): ApiStatus {
  return { kind: 'Status', code: 410, reason: 'Expired', message };
}

function subresourceOf(options: { subresource?: 'status' }): { subresource?: 'status' } {
  return options.subresource ? { subresource: options.subresource } : {};
}

function matchesFilter(filter: CallFilter, call: Call): boolean {
  if (filter.type && typeKeyOf(filter.type) !== typeKeyOf(call.type)) return false;
  if (filter.name !== undefined && filter.name !== call.name) return false;
  if (filter.subresource && filter.subresource !== (call.subresource ?? 'main')) return false;
  return true;
}

function encodeContinue(revision: number, after: string): string {
  return Buffer.from(JSON.stringify({ rv: revision, start: after })).toString('base64url');
}

function decodeContinue(token: string): { revision: number; after: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return { revision: parsed.rv, after: parsed.start };
  } catch {
    // fall through
  }
  throw apiError(400, 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}
