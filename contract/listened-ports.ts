// The ports a CorePod's pod listens on. The operator derives a non-root pod's
// net.ipv4.ip_unprivileged_port_start from them, so they are part of what only a new pod can take
// (spec-diff.ts). Pure.
import type { CorePodSpec } from '../crds/corepod-schema.js';

/**
 * Ports the pod listens on: the health endpoint, every declared port and every health-checked
 * port (a program listens there even if it declares nothing).
 */
export function listenedPorts(spec: Pick<CorePodSpec, 'healthPort' | 'programs'>): number[] {
  const ports = new Set<number>([spec.healthPort]);
  for (const program of spec.programs) {
    for (const declared of program.ports) ports.add(declared.containerPort);
    const check = program.healthCheck;
    const probed = check?.httpGet?.port ?? check?.tcpSocket?.port;
    if (probed !== undefined && isLoopback(check?.httpGet?.host ?? check?.tcpSocket?.host)) ports.add(probed);
  }
  return [...ports].sort((a, b) => a - b);
}

/** A probe of another host says nothing about what this pod binds. */
function isLoopback(host: string | undefined): boolean {
  return host === undefined || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const FIRST_UNPRIVILEGED_PORT = 1024;

/**
 * The value for net.ipv4.ip_unprivileged_port_start in a non-root pod: the lowest port below
 * 1024 it listens on (so nginx on 80 can bind as non-root), or undefined when all are above.
 */
export function unprivilegedPortStart(spec: Pick<CorePodSpec, 'healthPort' | 'programs'>): number | undefined {
  const lowest = listenedPorts(spec)[0];
  return lowest !== undefined && lowest < FIRST_UNPRIVILEGED_PORT ? lowest : undefined;
}
