// Instances (supervisord's numprocs, pm2's instances): a program with `instances: N` is supervised
// as N processes, name:00, name:01, …, each with its number in COREPOD_INSTANCE. The expansion is a
// pure function of the spec, so the sidecar-init, the operator's status rollup and a live
// reconfiguration that diffs program lists all see the same entries: changing N in place adds or
// removes only the instances past the smaller N.
import type { DependencySpec, ProgramSpec } from '../crds/corepod-schema.js';

/** The variable holding an instance's number (0, 1, …) in its environment. */
export const INSTANCE_ENV = 'COREPOD_INSTANCE';

/** Where a supervised entry comes from. */
export interface InstanceSource {
  /** The program's name in spec.programs. */
  program: string;
  /** Its place in spec.programs (what the per-program container variables are keyed by). */
  index: number;
  /** The instance number, for a program with instances > 1. */
  instance?: number;
}

/** One supervised process: its program's spec under its own name, without `instances`. */
export type SupervisedProgram = Omit<ProgramSpec, 'instances'> & { source: InstanceSource };

/** The name of instance `n` of `program`: web:00, web:01, … */
export function instanceName(program: string, n: number): string {
  return `${program}:${String(n).padStart(2, '0')}`;
}

/** The program an entry name belongs to: web for web:01 (a program name holds no ":"). */
export function programOfEntry(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(0, colon);
}

/**
 * spec.programs as the supervised entries, in order: a program with instances becomes its
 * instances in a row (name:00, name:01, …; one without keeps its name); a dependency on it becomes one on each of its instances (same condition).
 */
export function expandInstances(programs: readonly ProgramSpec[]): SupervisedProgram[] {
  const count = new Map(programs.map((program) => [program.name, program.instances]));
  const dependencies = (dependsOn: readonly DependencySpec[]): DependencySpec[] =>
    dependsOn.flatMap((dependency) => {
      const n = count.get(dependency.name);
      return n !== undefined ? Array.from({ length: n }, (_, i) => ({ ...dependency, name: instanceName(dependency.name, i) })) : [dependency];
    });
  return programs.flatMap((program, index) => {
    const { instances, ...rest } = program;
    const base = { ...rest, dependsOn: dependencies(program.dependsOn) };
    // instances: 1 is still name:00, so that changing the number never renames a running instance.
    if (instances === undefined) return [{ ...base, source: { program: program.name, index } }];
    return Array.from({ length: instances! }, (_, instance) => ({ ...base, name: instanceName(program.name, instance), source: { program: program.name, index, instance } }));
  });
}

/** The processes the spec runs: the sum of the programs' instances. */
export function processCount(programs: readonly Pick<ProgramSpec, 'instances'>[]): number {
  return programs.reduce((sum, program) => sum + (program.instances ?? 1), 0);
}
