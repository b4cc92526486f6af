// reconcile(key): level-triggered and idempotent. Reads the CorePod and the owned objects from the
// informer caches, applies what differs from the desired state (server-side apply, one field
// manager, force), repairs drift, and writes the rolled-up status through the status subresource.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { validateSpec, type CorePodStatus } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { desiredState } from '../desired/desired-state.js';
import { FIELD_MANAGER } from '../desired/names.js';
import type { SpecProblem } from '../desired/port-plan.js';
import type { SidecarContract } from '../../contract/sidecar-contract.js';
import { isPermanent, type KubeApi, type KubeObject, type ResourceType } from '../../kube/kube-api.js';
import { RESOURCES, resourceFor } from '../../kube/resources.js';
import type { ObjectRef } from '../../kube/events/event-object.js';
import type { EventRecorder } from '../../kube/events/event-recorder.js';
import { conditionTime } from './conditions.js';
import { findDrift, repairPatch, type PatchOp } from './drift.js';
import { configErrorProblems, type PodConfigError } from './container-config-errors.js';
import { problemText, rollup, statusDiffers, type DeploymentView, type OwnedStatus } from './status-rollup.js';
import { WritePriority, WriteScheduler } from './write-scheduler.js';
import { systemClock, wallDate, type Clock } from '../../lib/clock.js';

export interface RawCorePod extends KubeObject {
  spec?: unknown;
  status?: CorePodStatus;
}

/** Read access to the informer caches. */
export interface Caches {
  corePod(key: string): RawCorePod | undefined;
  owned(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Names of the existing pods of a CorePod; undefined while the pod cache is not synced. */
  podsOf(namespace: string, corePodName: string): ReadonlySet<string> | undefined;
  /** The pods of a CorePod whose container the kubelet holds for a missing Secret or ConfigMap. */
  podConfigErrors(namespace: string, corePodName: string): PodConfigError[];
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  /** A failure retrying the same writes will not fix (controller-runtime's terminal error); rechecked after requeueAfterMs. */
  terminal?: string;
}

export interface ReconcilerOptions {
  api: KubeApi;
  caches: Caches;
  sidecar: SidecarContract;
  events: EventRecorder;
  log: Logger;
  /** Bounds and orders the writes in flight (all reconciles share it); unbounded when absent. */
  writes?: WriteScheduler;
  /** Re-apply everything at least this often even when the caches say nothing changed. */
  fullApplyEveryMs?: number;
  /** The full-apply period and the conditions' transition times (default: the system clock). */
  clock?: Clock;
}

interface AppliedRecord {
  /** Per owned object ("Kind/name"): the hash of what we applied, and the uid and marker the apiserver returned. */
  objects: Map<string, { hash: string; uid: string; marker: string; revision: bigint | undefined }>;
  at: number;
}

/** Kinds an owned object is applied after, within one reconcile. */
const APPLY_AFTER: Record<string, string[]> = {
  Deployment: ['ConfigMap', 'ServiceAccount'],
  RoleBinding: ['Role'],
};

/** The kinds the pods need before they can start; their writes go first. */
const WORKLOAD_KINDS = new Set(['ConfigMap', 'ServiceAccount', 'Deployment']);

const SECRET_RECHECK_MS = 30_000;
const PERMANENT_RECHECK_MS = 5 * 60_000;

/**
 * What changes when someone else edits an object: its resourceVersion; or where the kind has a
 * generation (Deployment, PodDisruptionBudget: their status is written often and leaves it alone),
 * the generation, which only the spec moves, together with the labels and owner references, which
 * we set too and whose edit leaves the generation as it was (the slimmed cache keeps both).
 */
function marker(object: KubeObject): string {
  const meta = object.metadata ?? {};
  if (meta.generation === undefined) return `rv${meta.resourceVersion ?? ''}`;
  const labels = Object.entries(meta.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const owners = (meta.ownerReferences ?? []).map((r) => [r.apiVersion, r.kind, r.name, r.uid, r.controller === true, r.blockOwnerDeletion === true]);
  return `g${meta.generation}:${hashOf([labels, owners])}`;
}

function hashOf(object: unknown): string {
  return createHash('sha1').update(JSON.stringify(object)).digest('base64');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A resourceVersion as a number, to tell a cache that has not seen our write yet; undefined if not numeric. */
function revision(resourceVersion: string | undefined): bigint | undefined {
  return resourceVersion && /^\d+$/.test(resourceVersion) ? BigInt(resourceVersion) : undefined;
}

/** An owned object restored after a change by hand: the field paths, none when it was recreated. */
interface Repair {
  id: string;
  paths: string[];
}

/** Whether the cached object is older than the write that returned revision. */
function isBefore(cached: KubeObject | undefined, written: bigint | undefined): boolean {
  const seen = revision(cached?.metadata?.resourceVersion);
  return seen !== undefined && written !== undefined && seen < written;
}

export class Reconciler {
  private readonly applied = new Map<string, AppliedRecord>();
  /** The status we last wrote per key, and the resourceVersion the write returned. */
  private readonly written = new Map<string, { revision: bigint; status: OwnedStatus }>();
  private readonly clock: Clock;
  private readonly writes: WriteScheduler;

  constructor(private readonly options: ReconcilerOptions) {
    this.clock = options.clock ?? systemClock;
    this.writes = options.writes ?? new WriteScheduler(Number.MAX_SAFE_INTEGER);
  }

  /** Forget what we know about a key (the CorePod is gone). */
  forget(key: string): void {
    this.applied.delete(key);
    this.written.delete(key);
  }

  async reconcile(key: string, log: Logger): Promise<ReconcileResult> {
    const { caches } = this.options;
    const raw = caches.corePod(key);
    if (!raw?.metadata?.name || !raw.metadata.namespace || !raw.metadata.uid) {
      this.forget(key);
      return {};
    }
    if (raw.metadata.deletionTimestamp) return {};
    const regarding: Required<ObjectRef> = {
      apiVersion: raw.apiVersion ?? 'dreamscape.io/v1alpha1',
      kind: raw.kind ?? 'CorePod',
      name: raw.metadata.name,
      namespace: raw.metadata.namespace,
      uid: raw.metadata.uid,
    };

    const validated = validateSpec(raw.spec);
    if (!validated.ok) {
      // The CRD rejects most of this at apply time; what is left (a dependency cycle, one mount path
      // used by two programs from different sources) lands here.
      const problems = validated.errors.map((e) => ({
        reason: e.message.startsWith('dependency cycle') ? 'DependencyCycle' : e.message.includes('is also mounted by program') ? 'MountConflict' : 'SpecInvalid',
        path: e.path,
        message: e.message,
      }));
      await this.reportProblems(raw, regarding, problems, log);
      return {};
    }
    const corePod: CorePodObject = {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      metadata: {
        name: regarding.name,
        namespace: regarding.namespace,
        uid: regarding.uid,
        generation: raw.metadata.generation,
        resourceVersion: raw.metadata.resourceVersion,
      },
      spec: validated.value,
      status: raw.status,
    };
    const desired = desiredState(corePod, this.options.sidecar);
    if (desired.problems.length > 0) {
      await this.reportProblems(raw, regarding, desired.problems, log);
      return {};
    }

    const waiting = [...(await this.checkSecret(corePod)), ...configErrorProblems(corePod.spec, caches.podConfigErrors(regarding.namespace, regarding.name))];
    for (const problem of [...waiting, ...desired.warnings]) {
      this.warn(regarding, problem.reason, 'Reconcile', `${problem.path}: ${problem.message}`);
    }
    const { warnings } = desired;

    let applyError: string | undefined;
    let failure: unknown;
    let permanent = false;
    // Filled as the objects are restored: when another object's write fails, the repairs done are
    // still reported (the next reconcile finds them done and would not).
    const repaired: Repair[] = [];
    try {
      await this.applyOwned(key, corePod, desired.objects, desired.absent, repaired, log);
    } catch (error) {
      failure = error;
      applyError = errorText(error);
      permanent = isPermanent(error);
      this.warn(regarding, 'ApplyFailed', 'Apply', applyError);
    }
    for (const { id, paths } of repaired) {
      log.warn({ object: id, paths }, 'owned object was changed or deleted by hand; restored');
      const fields = paths.length > 0 ? `: ${paths.join(', ')}` : '';
      this.warn(regarding, 'DriftRepaired', 'Apply', `${id} was changed or deleted by hand and has been restored${fields}`);
    }
    if (failure !== undefined && !permanent) {
      await this.writeStatus(corePod, { problems: [], waiting, warnings, applyError, repaired: repaired.map((r) => r.id) }, log).catch(() => undefined);
      throw failure;
    }

    await this.writeStatus(corePod, { problems: [], waiting, warnings, applyError, repaired: repaired.map((r) => r.id) }, log);
    if (permanent) return { requeueAfterMs: PERMANENT_RECHECK_MS, ...(applyError ? { terminal: applyError } : {}) };
    return waiting.length > 0 ? { requeueAfterMs: SECRET_RECHECK_MS } : {};
  }

  private warn(regarding: ObjectRef, reason: string, action: string, note: string): void {
    this.options.events.record({ key: `Warning|${reason}|${note}`, type: 'Warning', reason, action, note, regarding });
  }

  private async reportProblems(raw: RawCorePod, regarding: Required<ObjectRef>, problems: SpecProblem[], log: Logger): Promise<void> {
    log.warn({ problems }, 'the spec cannot be realised');
    this.warn(regarding, problems[0]!.reason, 'Validate', problemText(problems));
    const corePod = {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      metadata: { name: regarding.name, namespace: regarding.namespace, uid: regarding.uid, generation: raw.metadata?.generation },
      // The roll-up needs the program list; an invalid spec yields an empty one.
      spec: { replicas: 0, programs: [] },
      status: raw.status,
    } as unknown as CorePodObject;
    await this.writeStatus(corePod, { problems, waiting: [], repaired: [] }, log);
  }

  private async checkSecret(corePod: CorePodObject): Promise<SpecProblem[]> {
    const ref = corePod.spec.alerts?.github?.tokenSecretRef;
    if (!ref) return [];
    const path = 'spec.alerts.github.tokenSecretRef';
    const secret = await this.options.api.get<KubeObject & { data?: Record<string, string> }>(RESOURCES.secret, corePod.metadata.namespace, ref.name);
    if (!secret) return [{ reason: 'SecretNotFound', path, message: `Secret "${ref.name}" not found in namespace ${corePod.metadata.namespace}` }];
    if (!secret.data || !(ref.key in secret.data)) return [{ reason: 'SecretKeyNotFound', path, message: `Secret "${ref.name}" has no key "${ref.key}"` }];
    return [];
  }

  /**
   * Applies the objects that need it; adds the ones restored after a change by hand to repaired,
   * also when the write of another one fails (what was written is remembered then too).
   */
  private async applyOwned(
    key: string,
    corePod: CorePodObject,
    objects: KubeObject[],
    absent: { apiVersion: string; kind: string; name: string }[],
    repaired: Repair[],
    log: Logger,
  ): Promise<void> {
    const { api, caches } = this.options;
    const namespace = corePod.metadata.namespace;
    const nowMs = this.clock.now();
    const previous = this.applied.get(key);
    const full = !previous || nowMs - previous.at > (this.options.fullApplyEveryMs ?? 10 * 60_000);
    const record: AppliedRecord = { objects: new Map(previous?.objects), at: full ? nowMs : previous!.at };

    const applyOne = async (object: KubeObject) => {
      const id = `${object.kind}/${object.metadata!.name}`;
      const hash = hashOf(object);
      const cached = caches.owned(object.kind!, namespace, object.metadata!.name!);
      const last = record.objects.get(id);
      const unchanged = last !== undefined && last.hash === hash;
      // A cache behind our last write of the object (it has not brought that write back yet) shows
      // nothing newer by others: the intermediate state of a repair must not be taken for drift.
      const behind = last !== undefined && isBefore(cached, last.revision);
      if (!full && unchanged && cached && (marker(cached) === last.marker || behind)) return;
      const priority = WORKLOAD_KINDS.has(object.kind!) ? WritePriority.Workload : WritePriority.Follow;
      const type = resourceFor(object.apiVersion!, object.kind!);
      // Drift is looked for when our intent is the same as last time (else the difference is ours)
      // and the marker moved, or the object we applied is not in the cache (deleted, or out of its
      // label selection: someone changed our managed-by label); in the whole object, which the
      // slimmed cache does not hold.
      const moved = unchanged && !behind && (cached === undefined || marker(cached) !== last.marker);
      const live = moved ? await api.get<KubeObject>(type, namespace, object.metadata!.name!) : undefined;
      const drift = live ? findDrift(object, live) : undefined;
      if (drift && drift.foreign.length > 0) {
        // Another manager's list entries (a port whose key was edited, an added volume): the forced
        // apply below would keep them. They go in one JSON patch with every other fix (alone, either
        // can leave an invalid object), and the apply then takes our fields back.
        await this.writes
          .run(priority, () => api.patch(type, namespace, object.metadata!.name!, 'json', repairPatch(drift), { fieldManager: FIELD_MANAGER }))
          .catch((error: unknown) => {
            // A failed test is a newer write of the list by someone else: retry on the newer cache.
            throw new Error(`restoring ${id} (${drift.paths.join(', ')}): ${errorText(error)}`);
          });
        log.info({ object: id, entries: drift.foreign.map((f) => f.path) }, "removed another manager's list entries");
      }
      const applied = await this.writes.run(priority, () => api.apply<KubeObject>(type, object, { fieldManager: FIELD_MANAGER, force: true }));
      const result = await this.dropPatchOwnership(type, applied, priority, log);
      const uid = result.metadata?.uid ?? '';
      const now = marker(result);
      if (unchanged && uid !== last.uid) repaired.push({ id, paths: [] });
      else if (unchanged && drift) {
        // We looked at the live object: the fields our writes restored are what differed before and
        // no longer does (a difference that stays is the apiserver's normal form of a value, not
        // drift). Nothing else counts: the marker may have moved meanwhile by someone else's write
        // (two quick edits of others' annotations), which our no-op apply then returns.
        const left = drift.paths.length > 0 ? new Set(findDrift(object, result).paths) : undefined;
        const paths = left ? drift.paths.filter((p) => !left.has(p)) : [];
        if (paths.length > 0) repaired.push({ id, paths });
      } else if (unchanged && cached && now !== last.marker && now !== marker(cached)) {
        // A full apply without a look (nothing had moved the marker), yet it changed the object:
        // someone had changed fields we own, unseen by the watch.
        repaired.push({ id, paths: [] });
      }
      record.objects.set(id, { hash, uid, marker: now, revision: revision(result.metadata?.resourceVersion) });
    };

    // One batch, each object waiting only for what it needs (a skipped write is done at once):
    // the Deployment for its ConfigMap and ServiceAccount, so that its pods find them; the
    // RoleBinding for its Role, because unless the operator may escalate (system:masters), the
    // apiserver looks the Role up to check that we hold what it grants, and a RoleBinding racing
    // its Role fails ("rolebindings … not found").
    const byKind = new Map(objects.map((o) => [o.kind!, o]));
    const started = new Map<string, Promise<void>>();
    const start = (kind: string): Promise<void> => {
      let applied = started.get(kind);
      if (!applied) {
        const after = (APPLY_AFTER[kind] ?? []).filter((k) => byKind.has(k));
        applied = after.length === 0 ? applyOne(byKind.get(kind)!) : Promise.all(after.map(start)).then(() => applyOne(byKind.get(kind)!));
        started.set(kind, applied);
      }
      return applied;
    };
    for (const kind of byKind.keys()) void start(kind);
    // allSettled first, so no write is still running when a failure is reported.
    const outcomes = await Promise.allSettled(started.values());
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      // The objects written keep what the apiserver returned (else their next change by someone
      // else would be compared with a stale marker); a full apply that failed stays due.
      this.applied.set(key, { objects: record.objects, at: full ? (previous?.at ?? Number.NEGATIVE_INFINITY) : record.at });
      throw failed.reason;
    }

    for (const gone of absent) {
      const cached = caches.owned(gone.kind, namespace, gone.name);
      const ownedByUs = cached?.metadata?.ownerReferences?.some((r) => r.uid === corePod.metadata.uid && r.controller);
      if (cached && ownedByUs) {
        log.info({ object: `${gone.kind}/${gone.name}` }, 'deleting an owned object the spec no longer asks for');
        await this.writes.run(WritePriority.Follow, () => api.delete(resourceFor(gone.apiVersion, gone.kind), namespace, gone.name, { uid: cached.metadata?.uid }));
      }
      record.objects.delete(`${gone.kind}/${gone.name}`);
    }
    this.applied.set(key, record);
  }

  /**
   * A repair patch makes our field manager an Update manager of the fields it set, besides the Apply
   * manager: while it is one, a field our apply stops setting (the spec drops a port) would stay.
   * Once the forced apply has taken those fields, the Update entry of managedFields goes. Returns
   * the object as last written.
   */
  private async dropPatchOwnership(type: ResourceType, object: KubeObject, priority: WritePriority, log: Logger): Promise<KubeObject> {
    const entries = (object.metadata?.managedFields ?? []) as { manager?: string; operation?: string; subresource?: string }[];
    const index = entries.findIndex((e) => e.manager === FIELD_MANAGER && e.operation === 'Update' && !e.subresource);
    if (index < 0) return object;
    const at = `/metadata/managedFields/${index}`;
    const ops: PatchOp[] = [
      { op: 'test', path: `${at}/manager`, value: FIELD_MANAGER },
      { op: 'test', path: `${at}/operation`, value: 'Update' },
      { op: 'remove', path: at },
    ];
    const { namespace, name } = object.metadata!;
    try {
      return await this.writes.run(priority, () => this.options.api.patch<KubeObject>(type, namespace, name!, 'json', ops, { fieldManager: FIELD_MANAGER }));
    } catch (error) {
      // Left for the next write of the object (a concurrent write moved the entry).
      log.warn({ err: error, object: `${object.kind}/${name}` }, 'could not drop the ownership of a repair patch');
      return object;
    }
  }

  private async writeStatus(
    corePod: CorePodObject,
    found: { problems: SpecProblem[]; waiting: SpecProblem[]; warnings?: SpecProblem[]; applyError?: string; repaired: string[] },
    log: Logger,
  ): Promise<void> {
    const { api, caches } = this.options;
    const { name, namespace } = corePod.metadata;
    const deployment = caches.owned('Deployment', namespace, name) as (KubeObject & { status?: DeploymentView; spec?: { replicas?: number } }) | undefined;
    const view: DeploymentView | undefined = deployment
      ? { generation: deployment.metadata?.generation, ...deployment.status, replicas: deployment.status?.replicas ?? 0 }
      : undefined;
    const livePods = caches.podsOf(namespace, name);
    // A reconcile that follows our status write before the watch brings it back (owned objects'
    // events requeue the key meanwhile) starts from what we wrote, not from the stale cache: else it
    // would write the same status again with new transition times.
    const key = `${namespace}/${name}`;
    const mine = this.written.get(key);
    const current = mine && isBefore(corePod, mine.revision) ? { ...corePod.status, ...mine.status } : corePod.status;
    const result = rollup({
      corePod: { ...corePod, status: current },
      ...found,
      deployment: view,
      ...(livePods ? { livePods } : {}),
      now: conditionTime(wallDate(this.clock)),
    });
    if (statusDiffers(current, result.status)) {
      const answer = await this.writes.run(WritePriority.Follow, () =>
        api.apply<KubeObject, KubeObject & { status: OwnedStatus }>(
          RESOURCES.corePod,
          { apiVersion: corePod.apiVersion, kind: corePod.kind, metadata: { name, namespace }, status: result.status },
          {
            fieldManager: FIELD_MANAGER,
            force: true,
            subresource: 'status',
          },
        ),
      );
      const written = revision(answer?.metadata?.resourceVersion);
      if (written !== undefined) this.written.set(key, { revision: written, status: result.status });
      else this.written.delete(key);
      log.debug({ phase: result.status.phase, ready: result.status.readyProcesses }, 'status written');
    }
    if (result.prune.length > 0) {
      const pods = corePod.status?.pods ?? [];
      const ops = pods
        .map((pod, index) => ({ pod, index }))
        .filter(({ pod }) => result.prune.includes(pod.name))
        .sort((a, b) => b.index - a.index)
        .flatMap(({ pod, index }) => [
          { op: 'test', path: `/status/pods/${index}/name`, value: pod.name },
          { op: 'remove', path: `/status/pods/${index}` },
        ]);
      await this.writes.run(WritePriority.Follow, () => api.patch(RESOURCES.corePod, namespace, name, 'json', ops, { subresource: 'status' }));
      log.info({ pods: result.prune }, 'pruned status of pods that no longer exist');
    }
  }
}
