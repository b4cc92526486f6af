// The pods bench/pod-bench.ts compares with a CorePod's (pure): the same image, pod security,
// resources and programs, started by a plain shell script (the floor: no supervisor at all; all at
// once, or in start order, each once the previous one's port answers) or by supervisord, each with a
// kubelet readiness probe on the last program's health check.
import type { V1ConfigMap, V1Container, V1Deployment, V1EnvVar, V1EnvVarSource, V1PodSpec, V1Probe } from '@kubernetes/client-node';
import { OPERATOR_VOLUMES } from '../../contract/sidecar-contract.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import type { ProgramSpec as Program } from '../../crds/corepod-schema.js';
import { programDefs } from './layout.js';
import { shellQuote } from './program.js';
import { supervisordConf } from './supervisord-conf.js';

/** 'floor-bare': the floor without the application's own inputs (its Secrets, env and volumes). */
export type Variant = 'floor' | 'floor-bare' | 'floor-ordered' | 'supervisord';

const OPERATOR_VOLUME_NAMES = new Set<string>(Object.values(OPERATOR_VOLUMES));

/** The programs in a fixed start order: priority, then name (the sidecar-init keeps spec order among equal priorities and also waits on dependsOn). */
export function startOrder(programs: readonly Program[]): Program[] {
  return [...programs].filter((p) => p.autostart).sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
}

/** The port a program's health check connects to, if it has one. */
function healthPort(p: Program): number | undefined {
  return p.healthCheck?.httpGet?.port ?? p.healthCheck?.tcpSocket?.port;
}

/**
 * A shell script: every program in the background, in start order, in its directory and with its
 * environment; then wait. `ordered` (bash): each program starts once the previous one's health-check
 * port accepts connections, as dependsOn would have it, polling every 20 ms. SIGTERM is passed on to
 * the programs: as PID 1 a shell without a trap ignores it, and each pod would take its whole grace period to go.
 */
export const FLOOR_TRAP = `trap 'kill $pids 2>/dev/null; wait; exit 0' TERM`;

export function floorScript(programs: readonly Program[], options: { ordered?: boolean } = {}): string {
  const lines = startOrder(programs).flatMap((p, index, all) => {
    const env = p.env.filter((e) => e.valueFrom === undefined).map((e) => shellQuote(`${e.name}=${e.value}`));
    const exec = ['exec', ...(env.length > 0 ? ['env', ...env] : []), ...p.command.map(shellQuote)].join(' ');
    const previous = index > 0 ? healthPort(all[index - 1]!) : undefined;
    const wait = options.ordered && previous !== undefined ? [`until (exec 3<>/dev/tcp/127.0.0.1/${previous}) 2>/dev/null; do sleep 0.02; done`] : [];
    return [...wait, `(${p.workingDir ? `cd ${shellQuote(p.workingDir)} && ` : ''}${exec}) & pids="$pids $!"`];
  });
  return [FLOOR_TRAP, ...lines, 'wait'].join('\n');
}

/** The last program to start with an HTTP health check: when it answers, the others have started. */
export function readinessProbe(programs: readonly Program[]): V1Probe {
  const last = startOrder(programs)
    .reverse()
    .find((p) => p.healthCheck?.httpGet);
  if (!last?.healthCheck?.httpGet) throw new Error('no program has an httpGet health check to probe');
  const { path, port } = last.healthCheck.httpGet;
  return { httpGet: { path, port }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, successThreshold: 1 };
}

const SUPERVISORD_DIR = '/run/supervisord';
const SUPERVISORD_CONF_DIR = '/etc/supervisord-bench';

export interface VariantObjects {
  configMap?: V1ConfigMap;
  deployment: V1Deployment;
}

/**
 * `corePodDeployment` is the operator's Deployment for `corePod` (operator/desired): the variant
 * keeps its image, pod and container security contexts, resources, ports and grace period, and
 * drops the sidecar-init (runtime, config, token, its probes and environment). It keeps what the
 * programs themselves need however they are run: the CorePod's volumes and mounts (DreamScape's TLS
 * Secret) and each program's env[].valueFrom as container env (its signing key from a Secret),
 * except 'floor-bare', which drops those too.
 */
export function variantObjects(variant: Variant, name: string, corePod: CorePodObject, corePodDeployment: V1Deployment, replicas: number): VariantObjects {
  const template = corePodDeployment.spec!.template.spec!;
  const app = template.containers[0]!;
  const labels = { 'app.kubernetes.io/name': `bench-${variant}`, 'app.kubernetes.io/instance': name };
  const appInputs = variant !== 'floor-bare';
  const appVolumes = appInputs ? (template.volumes ?? []).filter((v) => !OPERATOR_VOLUME_NAMES.has(v.name)) : [];
  const appMounts = appInputs ? (app.volumeMounts ?? []).filter((m) => !OPERATOR_VOLUME_NAMES.has(m.name)) : [];
  const appEnv: V1EnvVar[] = [];
  for (const program of appInputs ? corePod.spec.programs : []) {
    for (const variable of program.env) {
      if (variable.valueFrom && !appEnv.some((e) => e.name === variable.name)) appEnv.push({ name: variable.name, valueFrom: variable.valueFrom as V1EnvVarSource });
    }
  }
  const container: V1Container = {
    name: 'app',
    image: app.image,
    imagePullPolicy: app.imagePullPolicy,
    ports: (app.ports ?? []).filter((p) => !p.name?.startsWith('corepod-')),
    readinessProbe: readinessProbe(corePod.spec.programs),
    ...(appEnv.length > 0 ? { env: appEnv } : {}),
    ...(appMounts.length > 0 ? { volumeMounts: appMounts } : {}),
    ...(app.resources ? { resources: app.resources } : {}),
    ...(app.securityContext ? { securityContext: app.securityContext } : {}),
  };
  const pod: V1PodSpec = {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: template.terminationGracePeriodSeconds,
    ...(template.securityContext ? { securityContext: template.securityContext } : {}),
    containers: [container],
    ...(appVolumes.length > 0 ? { volumes: appVolumes } : {}),
  };
  let configMap: V1ConfigMap | undefined;
  if (variant === 'floor' || variant === 'floor-bare') {
    container.command = ['sh', '-c', floorScript(corePod.spec.programs)];
  } else if (variant === 'floor-ordered') {
    container.command = ['bash', '-c', floorScript(corePod.spec.programs, { ordered: true })];
  } else {
    const conf = supervisordConf(programDefs(corePod.spec), { dir: SUPERVISORD_DIR, socket: `${SUPERVISORD_DIR}/supervisor.sock`, root: false });
    configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { 'supervisord.conf': conf } };
    container.command = ['supervisord', '-n', '-c', `${SUPERVISORD_CONF_DIR}/supervisord.conf`];
    container.volumeMounts = [...appMounts, { name: 'conf', mountPath: SUPERVISORD_CONF_DIR, readOnly: true }, { name: 'run', mountPath: SUPERVISORD_DIR }];
    pod.volumes = [...appVolumes, { name: 'conf', configMap: { name } }, { name: 'run', emptyDir: {} }];
  }
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: pod } },
  };
  return configMap ? { configMap, deployment } : { deployment };
}
