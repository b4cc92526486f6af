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

/**
 * The variables of spec.programs[index] alone, unmangled: envFrom sources in order, then env in
 * order, a later one winning (as the kubelet orders a container's). A valueFrom or envFrom whose
 * source the kubelet did not resolve (optional and missing, or `corepod run` without a cluster)
 * adds nothing.
 */
export function ownEnv(program: Pick<ProgramSpec, 'env' | 'envFrom'>, index: number, container: Env): Record<string, string> {
  const out: Record<string, string> = {};
  (program.envFrom ?? []).forEach((_, source) => {
    const prefix = programEnvFromPrefix(index, source);
    for (const [name, value] of Object.entries(container)) {
      if (value !== undefined && name.startsWith(prefix) && name.length > prefix.length) out[name.slice(prefix.length)] = value;
    }
  });
  for (const variable of program.env) {
    if (!variable.valueFrom) out[variable.name] = variable.value;
    else {
      const value = container[programEnvName(index, variable.name)];
      if (value !== undefined) out[variable.name] = value;
    }
  }
  return out;
}
