// The soak's fault schedule, pure: a seeded PRNG (mulberry32) turns fault kinds with weights into
// a list of timed faults. The same seed, duration and weights always give the same list; each
// fault carries its own random number (`pick`) with which the injector chooses its target, so the
// targets are part of the seed too.

export const FAULT_KINDS = [
  'kill-program',
  'kill-sidecar-init',
  'kill-operator-leader',
  'restart-apiserver',
  'restart-etcd',
  'restart-kubelet',
  'partition-pod',
  'memory-squeeze',
  'spec-edits',
  'delete-recreate',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultWeights = Readonly<Record<FaultKind, number>>;

/** How often each kind is drawn, relative to the others. */
export const DEFAULT_WEIGHTS: FaultWeights = {
  'kill-program': 5,
  'kill-sidecar-init': 2,
  'kill-operator-leader': 2,
  'restart-apiserver': 1,
  'restart-etcd': 1,
  'restart-kubelet': 1,
  'partition-pod': 2,
  'memory-squeeze': 1,
  'spec-edits': 2,
  'delete-recreate': 1,
};

export interface Fault {
  /** Milliseconds after the soak's start at which the fault is due. */
  atMs: number;
  kind: FaultKind;
  /** A number in [0, 1) with which the injector picks its target (CorePod, program, pod). */
  pick: number;
  /** Seconds the fault lasts, where it has a duration (a partition), drawn from its range. */
  holdSeconds: number;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  /** Mean time between faults; each gap is drawn uniformly from [minGapMs, 2 × meanGapMs - minGapMs]. */
  meanGapMs: number;
  minGapMs: number;
  /** No fault is due before this (the CorePods settle first). */
  warmupMs: number;
  weights?: FaultWeights;
  /** Range of holdSeconds. */
  holdSeconds?: readonly [number, number];
}

/** mulberry32: a 32-bit state, good enough to spread faults, and the same on every platform. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The kind whose cumulative weight range holds r (r in [0, 1)). */
export function drawKind(weights: FaultWeights, r: number): FaultKind {
  const kinds = FAULT_KINDS.filter((k) => weights[k] > 0);
  const total = kinds.reduce((sum, k) => sum + weights[k], 0);
  if (kinds.length === 0 || !(total > 0)) throw new Error('schedule: every fault weight is 0');
  let x = r * total;
  for (const kind of kinds) {
    x -= weights[kind];
    if (x < 0) return kind;
  }
  return kinds[kinds.length - 1]!;
}

export function buildSchedule(options: ScheduleOptions): Fault[] {
  const { seed, durationMs, meanGapMs, minGapMs, warmupMs } = options;
  if (!(durationMs > 0)) throw new Error(`schedule: duration must be above 0 (got ${durationMs} ms)`);
  if (!(meanGapMs >= minGapMs && minGapMs >= 0)) throw new Error(`schedule: need 0 <= minGapMs <= meanGapMs (got ${minGapMs}, ${meanGapMs})`);
  const weights = options.weights ?? DEFAULT_WEIGHTS;
  const [holdMin, holdMax] = options.holdSeconds ?? [3, 10];
  const random = prng(seed);
  const faults: Fault[] = [];
  let at = warmupMs;
  for (;;) {
    at += minGapMs + random() * 2 * (meanGapMs - minGapMs);
    if (at >= durationMs) break;
    const kind = drawKind(weights, random());
    const pick = random();
    const holdSeconds = Math.round(holdMin + random() * (holdMax - holdMin));
    faults.push({ atMs: Math.round(at), kind, pick, holdSeconds });
  }
  return faults;
}

/** Faults per kind, every kind present (0 when none). */
export function countByKind(faults: readonly { kind: FaultKind }[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of faults) counts[f.kind] += 1;
  return counts;
}

/** The element of a non-empty list that pick (in [0, 1)) selects. */
export function choose<T>(list: readonly T[], pick: number): T {
  if (list.length === 0) throw new Error('choose: empty list');
  return list[Math.min(list.length - 1, Math.floor(pick * list.length))]!;
}
