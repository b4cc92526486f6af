// The soak's invariants, pure: each check takes what the runner observed (samples with their
// time in ms since the soak's start) and returns violations. Nothing here reads the cluster.

export interface Violation {
  at: number;
  invariant: InvariantName;
  detail: string;
}

export const INVARIANTS = [
  'convergence',
  'duplicate-owned-objects',
  'event-aggregation',
  'status-entries',
  'zombies',
  'rotated-log-continuity',
  'operator-memory',
  'log-crash',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

// ── convergence ──────────────────────────────────────────────────────────────────────────────

export interface Expected {
  ready: string;
  phase: string;
}

export interface CorePodSample {
  at: number;
  name: string;
  /** undefined while the CorePod does not exist (deleted, not yet recreated). */
  ready?: string;
  phase?: string;
  /** metadata.generation === status.observedGeneration */
  observed?: boolean;
}

export const matches = (s: CorePodSample, e: Expected): boolean => s.observed === true && s.ready === e.ready && s.phase === e.phase;

export interface Convergence {
  name: string;
  /** ms from `from` until the CorePod matched and kept matching to the last sample; undefined if it never settled. */
  ms: number | undefined;
  last?: CorePodSample;
}

/** When each CorePod settled at what it should show, after `from` (the end of the last fault). */
export function convergence(samples: readonly CorePodSample[], expected: Readonly<Record<string, Expected>>, from: number): Convergence[] {
  return Object.entries(expected).map(([name, e]) => {
    const mine = samples.filter((s) => s.name === name && s.at >= from).sort((a, b) => a.at - b.at);
    let settledAt: number | undefined;
    for (const s of mine) {
      if (matches(s, e)) settledAt ??= s.at;
      else settledAt = undefined;
    }
    return { name, ms: settledAt === undefined ? undefined : settledAt - from, last: mine.at(-1) };
  });
}

export function convergenceViolations(results: readonly Convergence[], expected: Readonly<Record<string, Expected>>, boundMs: number, at: number): Violation[] {
  return results.flatMap((r) => {
    const e = expected[r.name]!;
    const seen = r.last ? `READY ${r.last.ready ?? '-'} PHASE ${r.last.phase ?? '-'}${r.last.observed ? '' : ' (generation not observed)'}` : 'no sample';
    if (r.ms === undefined)
      return [{ at, invariant: 'convergence' as const, detail: `${r.name}: never settled at READY ${e.ready} PHASE ${e.phase} after the last fault; last seen ${seen}` }];
    if (r.ms > boundMs) return [{ at, invariant: 'convergence' as const, detail: `${r.name}: settled ${r.ms} ms after the last fault, over the ${boundMs} ms bound` }];
    return [];
  });
}

export interface FaultWindow {
  start: number;
  end: number;
}

/**
 * Recovery after each fault, per CorePod: from the fault's end to the first matching sample, for
 * the CorePods that were seen off their expected state after the fault began and before the next
 * one. A CorePod still off when the next fault begins gives no figure (it is counted as censored).
 */
export function recoveries(samples: readonly CorePodSample[], expected: Readonly<Record<string, Expected>>, faults: readonly FaultWindow[]): { ms: number[]; censored: number } {
  const ms: number[] = [];
  let censored = 0;
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  faults.forEach((f, i) => {
    const next = faults[i + 1]?.start ?? Number.POSITIVE_INFINITY;
    for (const [name, e] of Object.entries(expected)) {
      const window = sorted.filter((s) => s.name === name && s.at >= f.start && s.at < next);
      const off = window.findIndex((s) => !matches(s, e));
      if (off < 0) continue;
      const back = window.slice(off).find((s) => s.at >= f.end && matches(s, e));
      if (back) ms.push(Math.max(0, back.at - f.end));
      else censored += 1;
    }
  });
  return { ms, censored };
}

/** The q-quantile (0..1) by nearest rank; undefined for no values. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

// ── owned objects ────────────────────────────────────────────────────────────────────────────

export interface OwnedObject {
  kind: string;
  name: string;
  ownerUids: readonly string[];
}

/** Each kind the operator makes exists at most once per CorePod (by owner uid). */
export function duplicateOwned(at: number, corePods: readonly { name: string; uid: string }[], objects: readonly OwnedObject[]): Violation[] {
  const out: Violation[] = [];
  for (const cp of corePods) {
    const byKind = new Map<string, string[]>();
    for (const o of objects) if (o.ownerUids.includes(cp.uid)) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o.name]);
    for (const [kind, names] of byKind) {
      if (names.length > 1) out.push({ at, invariant: 'duplicate-owned-objects', detail: `${cp.name}: ${names.length} ${kind}s owned by ${cp.uid}: ${names.sort().join(', ')}` });
    }
  }
  return out;
}

// ── Events ───────────────────────────────────────────────────────────────────────────────────

export interface EventSample {
  uid: string;
  /** ms since the soak's start when the Event object was created. */
  createdAt: number;
  regarding: string;
  reason: string;
}

/** Event objects per CorePod per started minute; more than `perMinute` in a minute is a violation. */
export function eventRate(events: readonly EventSample[], perMinute: number): { worst: number; violations: Violation[] } {
  const seen = new Map<string, EventSample>();
  for (const e of events) seen.set(e.uid, e);
  const buckets = new Map<string, EventSample[]>();
  for (const e of seen.values()) {
    const key = `${e.regarding}\u0000${Math.floor(e.createdAt / 60_000)}`;
    buckets.set(key, [...(buckets.get(key) ?? []), e]);
  }
  let worst = 0;
  const violations: Violation[] = [];
  for (const [key, list] of buckets) {
    worst = Math.max(worst, list.length);
    if (list.length > perMinute) {
      const [regarding, minute] = key.split('\u0000');
      const reasons = new Map<string, number>();
      for (const e of list) reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
      const top = [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`);
      violations.push({
        at: Number(minute) * 60_000,
        invariant: 'event-aggregation',
        detail: `${regarding}: ${list.length} Event objects in minute ${minute} (bound ${perMinute}): ${top.join(', ')}`,
      });
    }
  }
  return { worst, violations };
}

// ── status entries ───────────────────────────────────────────────────────────────────────────

export interface StatusSample {
  at: number;
  corePod: string;
  /** status.pods[].name */
  entries: readonly string[];
  /** Every pod of the CorePod that exists (terminating ones too). */
  pods: readonly string[];
}

/** An entry for a pod that has been gone for longer than graceMs is reported, once per entry. */
export class StatusEntryCheck {
  private readonly absentSince = new Map<string, number>();
  private readonly reported = new Set<string>();
  constructor(private readonly graceMs: number) {}

  observe(sample: StatusSample): Violation[] {
    const out: Violation[] = [];
    const present = new Set(sample.pods);
    const live = new Set<string>();
    for (const entry of sample.entries) {
      const key = `${sample.corePod}/${entry}`;
      live.add(key);
      if (present.has(entry)) {
        this.absentSince.delete(key);
        continue;
      }
      const since = this.absentSince.get(key) ?? sample.at;
      this.absentSince.set(key, since);
      if (sample.at - since > this.graceMs && !this.reported.has(key)) {
        this.reported.add(key);
        out.push({
          at: sample.at,
          invariant: 'status-entries',
          detail: `${sample.corePod}: status.pods has ${entry}, a pod gone for ${sample.at - since} ms (grace ${this.graceMs} ms)`,
        });
      }
    }
    for (const key of this.absentSince.keys()) if (key.startsWith(`${sample.corePod}/`) && !live.has(key)) this.absentSince.delete(key);
    return out;
  }
}

// ── zombies ──────────────────────────────────────────────────────────────────────────────────

export interface ProcessSample {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  /** /proc/<pid>/stat starttime: with pid, one process. */
  startTime: number;
}

/** A process seen as a zombie (state Z) in scans at least minAgeMs apart is reported, once. */
export class ZombieCheck {
  private readonly firstSeen = new Map<string, number>();
  private readonly reported = new Set<string>();
  constructor(private readonly minAgeMs: number) {}

  observe(at: number, pod: string, processes: readonly ProcessSample[]): Violation[] {
    const out: Violation[] = [];
    const now = new Set<string>();
    for (const p of processes) {
      if (p.state !== 'Z') continue;
      const key = `${pod}/${p.pid}/${p.startTime}`;
      now.add(key);
      const since = this.firstSeen.get(key) ?? at;
      this.firstSeen.set(key, since);
      if (at - since >= this.minAgeMs && !this.reported.has(key)) {
        this.reported.add(key);
        const parent = processes.find((q) => q.pid === p.ppid);
        out.push({ at, invariant: 'zombies', detail: `${pod}: zombie pid ${p.pid} (${p.comm}) for ${at - since} ms, parent ${p.ppid} (${parent?.comm ?? '?'})` });
      }
    }
    for (const key of this.firstSeen.keys()) if (key.startsWith(`${pod}/`) && !now.has(key)) this.firstSeen.delete(key);
    return out;
  }
}

// ── rotated logs ─────────────────────────────────────────────────────────────────────────────

export interface LogProblem {
  kind: 'gap' | 'late-start' | 'out-of-order' | 'malformed';
  detail: string;
}

/**
 * The lines of a program that writes `RUN N` (N = 0, 1, 2, … for each run) to a rotated file, read
 * oldest file first. Within the retained window: each run's numbers go up by one; every run but
 * the first starts at 0; a run never resumes after another began. A malformed line (a torn
 * write) is reported too.
 */
export function logContinuity(lines: readonly string[]): LogProblem[] {
  const problems: LogProblem[] = [];
  const finished = new Set<string>();
  let run: string | undefined;
  let last = -1;
  let first = true;
  for (const line of lines) {
    if (line === '') continue;
    const m = /^(\S+) (\d+)$/.exec(line);
    if (!m) {
      problems.push({ kind: 'malformed', detail: `malformed line ${JSON.stringify(line.slice(0, 80))}` });
      continue;
    }
    const [, id, text] = m as unknown as [string, string, string];
    const n = Number(text);
    if (id !== run) {
      if (finished.has(id)) problems.push({ kind: 'out-of-order', detail: `run ${id} resumes at ${n} after another run` });
      else if (!first && n !== 0) problems.push({ kind: 'late-start', detail: `run ${id} begins at ${n}, not 0` });
      if (run !== undefined) finished.add(run);
      run = id;
      last = n;
      first = false;
      continue;
    }
    if (n !== last + 1) problems.push({ kind: 'gap', detail: `run ${id}: ${last} then ${n}` });
    last = n;
  }
  return problems;
}

// ── operator memory ──────────────────────────────────────────────────────────────────────────

export interface RssSample {
  at: number;
  process: string;
  rssBytes: number;
}

export function memoryBound(samples: readonly RssSample[], maxBytes: number): { peak: number; violations: Violation[] } {
  let peak = 0;
  const violations: Violation[] = [];
  const reported = new Set<string>();
  for (const s of samples) {
    peak = Math.max(peak, s.rssBytes);
    if (s.rssBytes > maxBytes && !reported.has(s.process)) {
      reported.add(s.process);
      violations.push({ at: s.at, invariant: 'operator-memory', detail: `${s.process}: RSS ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB over ${(maxBytes / 2 ** 20).toFixed(0)} MiB` });
    }
  }
  return { peak, violations };
}

// ── crashes in logs ──────────────────────────────────────────────────────────────────────────

const PLAIN_TEXT_CRASH = [/UnhandledPromiseRejection/, /unhandled ?rejection/i, /uncaught ?exception/i, /^Node\.js v\d+\.\d+/, /FATAL ERROR:/, /^\s+at .*:\d+:\d+\)?$/];

/**
 * Why a line of an operator's or a sidecar-init's output shows a crash, or undefined. Those
 * processes write JSON lines; Node's own report of an uncaught exception or unhandled rejection
 * (the stack, `Node.js v24…`) and V8's fatal errors are plain text. A JSON line counts when it is
 * fatal (level ≥ 60) or names an unhandled rejection or uncaught exception.
 */
export function crashInLine(line: string): string | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  if (text.startsWith('{')) {
    try {
      const record = JSON.parse(text) as { level?: unknown; msg?: unknown };
      if (typeof record.level === 'number' && record.level >= 60) return `fatal log line: ${String(record.msg)}`;
      if (typeof record.msg === 'string' && /unhandled ?rejection|uncaught ?exception/i.test(record.msg)) return `log line: ${record.msg}`;
      return undefined;
    } catch {
      // not JSON after all: judged as text
    }
  }
  const hit = PLAIN_TEXT_CRASH.find((re) => re.test(line));
  return hit ? `crash output: ${text.slice(0, 160)}` : undefined;
}

// ── the table ────────────────────────────────────────────────────────────────────────────────

export function violationsByInvariant(violations: readonly Violation[]): Record<InvariantName, number> {
  const counts = Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<InvariantName, number>;
  for (const v of violations) counts[v.invariant] += 1;
  return counts;
}
