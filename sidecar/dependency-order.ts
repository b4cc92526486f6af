// Start and stop order: a program starts once every program it depends on is ready (RUNNING, and
// healthy if it has a health check), priority ascending as the tiebreaker; stopping runs the other
// way round, dependents before their dependencies, priority descending.

export interface OrderedProgram {
  name: string;
  priority: number;
  dependsOn: readonly string[];
}

/** The waiting programs whose dependencies are all ready, in start order. */
export function startable<P extends OrderedProgram>(waiting: readonly P[], isReady: (name: string) => boolean): P[] {
  return waiting.filter((program) => program.dependsOn.every(isReady)).sort(byPriority);
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
    for (const program of remaining) for (const dependency of program.dependsOn) needed.add(dependency);
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
