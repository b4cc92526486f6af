// The ports a CorePod serves, and the clashes between programs that the schema cannot see.
import type { CorePodSpec } from '../../crds/corepod-schema.js';

export interface PlannedPort {
  name: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  program: string;
}

export interface SpecProblem {
  /** CamelCase reason for the condition and the Event. */
  reason: string;
  /** Field path, e.g. spec.programs[1].ports[0].containerPort */
  path: string;
  message: string;
}

export interface PortPlan {
  ports: PlannedPort[];
  problems: SpecProblem[];
}

export function planPorts(spec: CorePodSpec): PortPlan {
  const ports: PlannedPort[] = [];
  const problems: SpecProblem[] = [];
  const byPort = new Map<string, string>([[`${spec.healthPort}/TCP`, 'the sidecar-init health endpoint (spec.healthPort)']]);
  const byName = new Map<string, string>();
  spec.programs.forEach((program, i) =>
    program.ports.forEach((declared, j) => {
      const at = `spec.programs[${i}].ports[${j}]`;
      const key = `${declared.containerPort}/${declared.protocol}`;
      const holder = byPort.get(key);
      if (holder !== undefined) {
        problems.push({ reason: 'PortConflict', path: `${at}.containerPort`, message: `port ${key} of program "${program.name}" is also used by ${holder}` });
        return;
      }
      byPort.set(key, `program "${program.name}"`);
      const name = declared.name ?? `${declared.protocol.toLowerCase()}-${declared.containerPort}`;
      const nameHolder = byName.get(name);
      if (nameHolder !== undefined) {
        problems.push({ reason: 'PortConflict', path: `${at}.name`, message: `port name "${name}" of program "${program.name}" is also used by ${nameHolder}` });
        return;
      }
      byName.set(name, `program "${program.name}"`);
      ports.push({ name, port: declared.containerPort, protocol: declared.protocol, program: program.name });
    }),
  );
  return { ports, problems };
}

/** Declared volumes no program mounts: likely a mistake, so a warning condition (the pod runs anyway). */
export function unusedVolumes(spec: CorePodSpec): SpecProblem[] {
  const mounted = new Set(spec.programs.flatMap((program) => (program.volumeMounts ?? []).map((mount) => mount.name)));
  return (spec.volumes ?? []).flatMap((volume, j) =>
    mounted.has(volume.name) ? [] : [{ reason: 'VolumeNotMounted', path: `spec.volumes[${j}]`, message: `volume "${volume.name}" is not mounted by any program` }],
  );
}
