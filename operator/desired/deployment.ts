// The Deployment running the CorePod: one app container (the user's image) whose command is the
// sidecar-init, mounted from the sidecar image as an image volume or copied into an emptyDir by an
// init container (contract/sidecar-contract.ts RuntimeDelivery).
import type { V1Container, V1Deployment, V1EnvFromSource, V1EnvVar, V1EnvVarSource, V1PodSpec, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { CorePodSpec } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import type { PlannedPort } from './port-plan.js';
import { CONFIG_HASH_ANNOTATION, DEFAULT_CONTAINER_ANNOTATION, names, objectLabels, ownerReference, selectorLabels } from './names.js';
import { podSecurity } from './pod-security.js';
import { POD_PASS_THROUGH_FIELDS } from '../../crds/core-v1.js';
import {
  CONFIG_FILE_KEY,
  CONFIG_MOUNT_PATH,
  CONFIG_PATH,
  ENV,
  LIVENESS_PATH,
  OPERATOR_VOLUMES,
  READINESS_PATH,
  RUNTIME_MOUNT_PATH,
  TOKEN_MOUNT_PATH,
  programEnvFromPrefix,
  programEnvName,
  type SidecarContract,
} from '../../contract/sidecar-contract.js';

const VOLUME = OPERATOR_VOLUMES;
export const APP_CONTAINER = 'app';
export const INIT_CONTAINER = 'corepod-init';
export const HEALTH_PORT_NAME = 'corepod-health';
const TOKEN_SECONDS = 3607;
const PUBLIC_FILE = 0o444;

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function resources(spec: CorePodSpec): V1ResourceRequirements | undefined {
  if (!spec.resources) return undefined;
  const list = (r: { cpu?: number | string; memory?: number | string } | undefined) => {
    if (!r) return undefined;
    const out: Record<string, string> = {};
    if (r.cpu !== undefined) out.cpu = String(r.cpu);
    if (r.memory !== undefined) out.memory = String(r.memory);
    return out;
  };
  const out: V1ResourceRequirements = {};
  const requests = list(spec.resources.requests);
  const limits = list(spec.resources.limits);
  if (requests) out.requests = requests;
  if (limits) out.limits = limits;
  return out;
}

/** The union of the programs' volumeMounts: one mount per path (validation refused two different ones). */
export function programMounts(spec: CorePodSpec): V1VolumeMount[] {
  const byPath = new Map<string, V1VolumeMount>();
  for (const program of spec.programs) {
    for (const mount of program.volumeMounts ?? []) if (!byPath.has(mount.mountPath)) byPath.set(mount.mountPath, mount as V1VolumeMount);
  }
  return [...byPath.values()];
}

/** Each program's env[].valueFrom under its mangled name (the contract's), for the kubelet to resolve. */
export function programEnv(spec: CorePodSpec): V1EnvVar[] {
  return spec.programs.flatMap((program, i) =>
    program.env.flatMap((variable) => (variable.valueFrom ? [{ name: programEnvName(i, variable.name), valueFrom: variable.valueFrom as V1EnvVarSource }] : [])),
  );
}

/** Each program's envFrom under its mangled prefix, ahead of the program's own prefix. */
export function programEnvFrom(spec: CorePodSpec): V1EnvFromSource[] {
  return spec.programs.flatMap((program, i) => (program.envFrom ?? []).map((source, k) => ({ ...source, prefix: `${programEnvFromPrefix(i, k)}${source.prefix ?? ''}` })));
}

function appContainer(corePod: CorePodObject, sidecar: SidecarContract, ports: PlannedPort[]): V1Container {
  const { spec } = corePod;
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: HEALTH_PORT_NAME, scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
    successThreshold: 1,
  });
  const container: V1Container = {
    name: APP_CONTAINER,
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy,
    command: sidecar.entrypoint,
    env: [
      fieldEnv(ENV.podName, 'metadata.name'),
      fieldEnv(ENV.podNamespace, 'metadata.namespace'),
      fieldEnv(ENV.podUid, 'metadata.uid'),
      fieldEnv(ENV.nodeName, 'spec.nodeName'),
      { name: ENV.corePodName, value: corePod.metadata.name },
      { name: ENV.configPath, value: CONFIG_PATH },
      { name: ENV.healthPort, value: String(spec.healthPort) },
      ...(spec.alerts?.github
        ? [{ name: ENV.githubToken, valueFrom: { secretKeyRef: { name: spec.alerts.github.tokenSecretRef.name, key: spec.alerts.github.tokenSecretRef.key } } }]
        : []),
      ...programEnv(spec),
    ],
    ports: [{ name: HEALTH_PORT_NAME, containerPort: spec.healthPort, protocol: 'TCP' }, ...ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol }))],
    // A generous startup window: liveness only starts once the sidecar-init answers.
    startupProbe: probe(LIVENESS_PATH, 2, 60),
    livenessProbe: probe(LIVENESS_PATH, 10, 3),
    readinessProbe: probe(READINESS_PATH, 5, 1),
    volumeMounts: [
      runtimeMount(sidecar),
      { name: VOLUME.config, mountPath: CONFIG_MOUNT_PATH, readOnly: true },
      { name: VOLUME.token, mountPath: TOKEN_MOUNT_PATH, readOnly: true },
      ...programMounts(spec),
    ],
  };
  const envFrom = programEnvFrom(spec);
  if (envFrom.length > 0) container.envFrom = envFrom;
  const limits = resources(spec);
  if (limits) container.resources = limits;
  return container;
}

/** The image volume holds the whole sidecar image; the app container sees only its runtime directory. */
function runtimeMount(sidecar: SidecarContract): V1VolumeMount {
  const mount: V1VolumeMount = { name: VOLUME.runtime, mountPath: RUNTIME_MOUNT_PATH, readOnly: true };
  if (sidecar.delivery === 'image-volume') mount.subPath = sidecar.runtimePath.replace(/^\/+/, '');
  return mount;
}

function runtimeVolume(sidecar: SidecarContract): V1Volume {
  const pullPolicy = sidecar.imagePullPolicy ?? 'IfNotPresent';
  return sidecar.delivery === 'image-volume' ? { name: VOLUME.runtime, image: { reference: sidecar.image, pullPolicy } } : { name: VOLUME.runtime, emptyDir: {} };
}

function installContainers(sidecar: SidecarContract, securityContext: V1Container['securityContext']): Pick<V1PodSpec, 'initContainers'> {
  if (sidecar.delivery === 'image-volume') return {};
  const install: V1Container = {
    name: INIT_CONTAINER,
    image: sidecar.image,
    imagePullPolicy: sidecar.imagePullPolicy ?? 'IfNotPresent',
    command: sidecar.installCommand,
    volumeMounts: [{ name: VOLUME.runtime, mountPath: RUNTIME_MOUNT_PATH }],
  };
  if (securityContext) install.securityContext = securityContext;
  return { initContainers: [install] };
}

/** The Pod fields a CorePod passes through as they are (core/v1 schemas, checked by the apiserver). */
export const POD_FIELDS = POD_PASS_THROUGH_FIELDS satisfies readonly (keyof CorePodSpec & keyof V1PodSpec)[];

function podFields(spec: CorePodSpec): Partial<V1PodSpec> {
  return Object.fromEntries(POD_FIELDS.filter((field) => spec[field] !== undefined).map((field) => [field, spec[field]]));
}

export function buildDeployment(corePod: CorePodObject, sidecar: SidecarContract, ports: PlannedPort[], configHash: string): V1Deployment {
  const name = corePod.metadata.name;
  const { spec } = corePod;
  const security = podSecurity(spec);
  const app = appContainer(corePod, sidecar, ports);
  if (security.appContainer) app.securityContext = security.appContainer;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: names.deployment(name), namespace: corePod.metadata.namespace, labels: objectLabels(name, 'workload'), ownerReferences: [ownerReference(corePod)] },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: selectorLabels(name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { ...spec.podMetadata?.labels, ...objectLabels(name, 'workload') },
          annotations: { ...spec.podMetadata?.annotations, [CONFIG_HASH_ANNOTATION]: configHash, [DEFAULT_CONTAINER_ANNOTATION]: APP_CONTAINER },
        },
        spec: {
          ...podFields(spec),
          serviceAccountName: names.serviceAccount(name),
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
          enableServiceLinks: false,
          securityContext: security.pod,
          ...installContainers(sidecar, security.initContainer),
          containers: [app],
          volumes: [
            runtimeVolume(sidecar),
            { name: VOLUME.config, configMap: { name: names.configMap(name), items: [{ key: CONFIG_FILE_KEY, path: CONFIG_FILE_KEY }] } },
            {
              name: VOLUME.token,
              projected: {
                // The token is readable by the sidecar-init's user only: programs run under another uid
                // can't read it. In a non-root pod the kubelet gives it to runAsUser (mode 0600, 0640
                // with fsGroup) but leaves the other files to root, so the CA and the namespace, which
                // are no secrets, are readable by all.
                defaultMode: 0o400,
                sources: [
                  { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_SECONDS } },
                  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt', mode: PUBLIC_FILE }] } },
                  { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, mode: PUBLIC_FILE }] } },
                ],
              },
            },
            ...((spec.volumes ?? []) as V1Volume[]),
          ],
        },
      },
    },
  };
}
