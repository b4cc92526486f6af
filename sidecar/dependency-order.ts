// Start and stop order: a program starts once every program it depends on has reached the
// dependency's condition (Ready by default: RUNNING, and healthy if it has a health check),
// priority ascending as the tiebreaker; stopping runs the other way round, dependents before their
// dependencies, priority descending. Pure.
import type { DependencyCondition, ProcessStateName } from '../crds/corepod-schema.js';

export interface Dependency {
  name: string;
  condition: DependencyCondition;
}

export interface OrderedProgram {
  name: string;
  priority: number;
  dependsOn: readonly Dependency[];
}

/** What a dependency's condition is judged on: the depended-on program's state and spec. */
export interface DependencyFacts {
  state: ProcessStateName;
  pid: number | undefined;
  /** undefined until a health check result counts. */
  healthy: boolean | undefined;
  hasHealthCheck: boolean;
  lastExit: { code: number | null; signal: string | null } | undefined;
  exitCodes: readonly number[];
}

/**
 * satisfied: the dependent may start. waiting: it may still get there by itself. failed: it will
 * not without someone's intervention (FATAL, or finished the wrong way); `reason` says how.
 */
export type DependencyVerdict = { verdict: 'satisfied' } | { verdict: 'waiting' } | { verdict: 'failed'; reason: string };

const SATISFIED: DependencyVerdict = { verdict: 'satisfied' };
const WAITING: DependencyVerdict = { verdict: 'waiting' };

function howItEnded(exit: DependencyFacts['lastExit']): string {
  if (!exit) return 'it ended';
  return exit.signal ? `it was killed by ${exit.signal}` : `it exited with ${exit.code}`;
}

export function dependencyVerdict(condition: DependencyCondition, facts: DependencyFacts): DependencyVerdict {
  if (facts.state === 'FATAL') return { verdict: 'failed', reason: 'it is FATAL' };
  const succeeded = facts.lastExit !== undefined && facts.lastExit.signal === null && facts.lastExit.code !== null && facts.exitCodes.includes(facts.lastExit.code);
  switch (condition) {
    case 'Started':
      return facts.state === 'RUNNING' || facts.state === 'EXITED' || (facts.state === 'STARTING' && facts.pid !== undefined) ? SATISFIED : WAITING;
    case 'Ready':
      if (facts.state === 'RUNNING') return !facts.hasHealthCheck || facts.healthy === true ? SATISFIED : WAITING;
      return facts.state === 'EXITED' ? { verdict: 'failed', reason: `${howItEnded(facts.lastExit)} and is not restarted` } : WAITING;
    case 'Completed':
      return facts.state === 'EXITED' ? SATISFIED : WAITING;
    case 'CompletedSuccessfully':
      if (facts.state !== 'EXITED') return WAITING;
      return succeeded ? SATISFIED : { verdict: 'failed', reason: `${howItEnded(facts.lastExit)}, not an exit code in its exitCodes` };
  }
}

/** The waiting programs whose dependencies are all satisfied, in start order. */
export function startable<P extends OrderedProgram>(waiting: readonly P[], isSatisfied: (dependency: Dependency) => boolean): P[] {
  return waiting.filter((program) => program.dependsOn.every(isSatisfied)).sort(byPriority);
}

/**
 * Groups of programs to stop one group after the other: each group holds the programs of the
 * highest priority among those that no remaining program depends on.
 */
export function stopWaves<P extends OrderedProgram>(programs: readonly P[]): P[][] {
  const remaining = new Set(programs);
  const waves: P[][] = [];
  while (remaining.size > 0) {
    const needed = new Set<string>();
    for (const program of remaining) for (const dependency of program.dependsOn) needed.add(dependency.name);
    let free = [...remaining].filter((program) => !needed.has(program.name));
    // A cycle (rejected by the schema) must not hang the stop: fall back to priority alone.
    if (free.length === 0) free = [...remaining];
    const top = Math.max(...free.map((program) => program.priority));
    const wave = free.filter((program) => program.priority === top);
    for (const program of wave) remaining.delete(program);
    waves.push(wave);
  }
  return waves;
}

function byPriority(a: OrderedProgram, b: OrderedProgram): number {
  return a.priority - b.priority;
}
