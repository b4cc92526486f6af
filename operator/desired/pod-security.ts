// The securityContext of a CorePod's pod. With spec.securityContext the whole pod runs as that
// non-root uid and meets Pod Security "restricted"; without it the sidecar-init runs as root (so
// it can switch programs to their `user`) and only the init container, our own code, is locked down.
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import type { CorePodSpec } from '../../crds/corepod-schema.js';
import { unprivilegedPortStart } from '../../contract/listened-ports.js';

export { unprivilegedPortStart };

/** Lowest port a non-root process may bind (a namespaced sysctl Pod Security allows). */
export const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';

export interface PodSecurity {
  pod: V1PodSecurityContext;
  initContainer: V1SecurityContext;
  /** Undefined for root pods: the programs keep the runtime's default capabilities. */
  appContainer?: V1SecurityContext;
}

const lockedDown = (): V1SecurityContext => ({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });

export function podSecurity(spec: CorePodSpec): PodSecurity {
  const seccompProfile = { type: 'RuntimeDefault' };
  const nonRoot = spec.securityContext;
  if (!nonRoot) {
    // Root pods: RuntimeDefault seccomp (what Docker applies to every container) costs the programs
    // nothing they could do with the default capabilities; the init container only copies files.
    return { pod: { seccompProfile }, initContainer: lockedDown() };
  }
  const pod: V1PodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: nonRoot.runAsUser,
    runAsGroup: nonRoot.runAsGroup ?? nonRoot.runAsUser,
    seccompProfile,
  };
  // Without fsGroup the kubelet gives the projected token to runAsUser with mode 0600; with it the
  // token is also readable by that group (0640), so it is set only when asked for (the CA and
  // namespace files are mode 0444, see deployment.ts).
  if (nonRoot.fsGroup !== undefined) pod.fsGroup = nonRoot.fsGroup;
  const portStart = unprivilegedPortStart(spec);
  if (portStart !== undefined) pod.sysctls = [{ name: UNPRIVILEGED_PORT_SYSCTL, value: String(portStart) }];
  return { pod, initContainer: { ...lockedDown(), runAsNonRoot: true }, appContainer: { ...lockedDown(), runAsNonRoot: true } };
}
