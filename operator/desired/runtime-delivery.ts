// Which way the sidecar runtime reaches the pods, decided once at start from the operator's flag
// and the apiserver's version: image volumes are on by default from Kubernetes 1.35 (beta; GA and
// locked on in 1.36), so 'auto' uses them there and copies with an init container before.
import type { RuntimeDelivery } from '../../contract/sidecar-contract.js';
import type { ServerVersion } from '../../kube/kube-api.js';

export type RuntimeDeliveryFlag = 'auto' | RuntimeDelivery;
export const RUNTIME_DELIVERY_FLAGS: readonly RuntimeDeliveryFlag[] = ['auto', 'image-volume', 'copy'];

/** The first Kubernetes minor (of major 1) whose apiserver and kubelet have image volumes on by default. */
export const IMAGE_VOLUME_DEFAULT_MINOR = 35;

export interface RuntimeDeliveryChoice {
  delivery: RuntimeDelivery;
  reason: string;
}

/** Major and minor as numbers; providers append to the minor ("35+"), which is ignored. */
export function parseServerVersion(version: ServerVersion): { major: number; minor: number } | undefined {
  const major = Number.parseInt(version.major, 10);
  const minor = Number.parseInt(version.minor, 10);
  return Number.isInteger(major) && Number.isInteger(minor) ? { major, minor } : undefined;
}

export function chooseRuntimeDelivery(flag: RuntimeDeliveryFlag, version: ServerVersion | undefined): RuntimeDeliveryChoice {
  if (flag !== 'auto') return { delivery: flag, reason: `--runtime-delivery=${flag}` };
  const parsed = version && parseServerVersion(version);
  if (!parsed) return { delivery: 'copy', reason: `the apiserver's version is unknown (${version ? JSON.stringify(version) : 'no answer'}); copying is safe everywhere` };
  const name = version.gitVersion || `${version.major}.${version.minor}`;
  if (parsed.major > 1 || parsed.minor >= IMAGE_VOLUME_DEFAULT_MINOR) return { delivery: 'image-volume', reason: `Kubernetes ${name} mounts image volumes` };
  return { delivery: 'copy', reason: `Kubernetes ${name} predates image volumes on by default (1.${IMAGE_VOLUME_DEFAULT_MINOR})` };
}
