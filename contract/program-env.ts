// What each program's environment is made of: the container's environment without the variables
// meant for others (contract/sidecar-contract.ts: every program's mangled variables and the
// sidecar-init's own secrets), then the program's envFrom and env in Kubernetes order.
import type { ProgramSpec } from '../crds/corepod-schema.js';
import { PROGRAM_ENV_PATTERN, SIDECAR_ONLY_ENV, programEnvFromPrefix, programEnvName } from './sidecar-contract.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The container's environment as every program inherits it. */
export function sharedEnv(container: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(container)) {
    if (value !== undefined && !PROGRAM_ENV_PATTERN.test(name) && !SIDECAR_ONLY_ENV.includes(name)) out[name] = value;
  }
  return out;
}

/** One of a program's own variables; only a literal `value` may hold $(VAR) references (as in a container). */
export interface ProgramVariable {
  name: string;
  value: string;
  literal: boolean;
}

/**
 * The variables of spec.programs[index] alone, unmangled, in Kubernetes order: envFrom sources in
 * order, then env in order (a later one wins once they are applied). A valueFrom or envFrom whose
 * source the kubelet did not resolve (optional and missing, or `corepod run` without a cluster)
 * adds nothing.
 */
export function ownVariables(program: Pick<ProgramSpec, 'env' | 'envFrom'>, index: number, container: Env): ProgramVariable[] {
  const out: ProgramVariable[] = [];
  (program.envFrom ?? []).forEach((_, source) => {
    const prefix = programEnvFromPrefix(index, source);
    for (const [name, value] of Object.entries(container)) {
      if (value !== undefined && name.startsWith(prefix) && name.length > prefix.length) out.push({ name: name.slice(prefix.length), value, literal: false });
    }
  });
  for (const variable of program.env) {
    if (!variable.valueFrom) out.push({ name: variable.name, value: variable.value, literal: true });
    else {
      const value = container[programEnvName(index, variable.name)];
      if (value !== undefined) out.push({ name: variable.name, value, literal: false });
    }
  }
  return out;
}

/** ownVariables applied in order, references left as written. */
export function ownEnv(program: Pick<ProgramSpec, 'env' | 'envFrom'>, index: number, container: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of ownVariables(program, index, container)) out[name] = value;
  return out;
}
