// How the operator injects the sidecar-init into a pod: where the runtime is in the sidecar image,
// how it reaches the app container (an image volume, or an init container's copy), how the app
// container starts it, and what it is told through the environment.
// The sidecar image and the sidecar-init (sidecar/) implement the other side of this contract.

/**
 * Where the sidecar runtime is in the app container: the sidecar image's runtime directory mounted
 * read-only as an image volume, or an emptyDir the init container fills with a copy of it. The
 * runtime's node is linked against this path, so it is the same in both.
 */
export const RUNTIME_MOUNT_PATH = '/corepod';
/** Where the ConfigMap with the supervisor config is mounted, and the file in it. */
export const CONFIG_MOUNT_PATH = '/etc/corepod';
export const CONFIG_FILE_KEY = 'corepod.json';
export const CONFIG_PATH = `${CONFIG_MOUNT_PATH}/${CONFIG_FILE_KEY}`;
/** The ServiceAccount token, mounted readable only by the sidecar-init's user (mode 0400). */
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The pod volumes the operator adds; a CorePod's spec.volumes may not use these names. */
export const OPERATOR_VOLUMES = { runtime: 'corepod-runtime', config: 'corepod-config', token: 'corepod-token' } as const;
/** Where the operator mounts them; a program's volumeMounts may not mount at or under these. */
export const OPERATOR_MOUNT_PATHS: readonly string[] = [RUNTIME_MOUNT_PATH, CONFIG_MOUNT_PATH, TOKEN_MOUNT_PATH];
/** Health endpoints the sidecar-init serves on spec.healthPort for the kubelet probes. */
export const LIVENESS_PATH = '/livez';
export const READINESS_PATH = '/readyz';

/** Environment variables the sidecar-init reads. */
export const ENV = {
  podName: 'COREPOD_POD_NAME',
  podNamespace: 'COREPOD_POD_NAMESPACE',
  podUid: 'COREPOD_POD_UID',
  nodeName: 'COREPOD_NODE_NAME',
  corePodName: 'COREPOD_NAME',
  configPath: 'COREPOD_CONFIG',
  healthPort: 'COREPOD_HEALTH_PORT',
  /** Only with spec.alerts.github: the token from spec.alerts.github.tokenSecretRef. */
  githubToken: 'COREPOD_GITHUB_TOKEN',
} as const;

/**
 * Program variables from Kubernetes sources (env[].valueFrom, envFrom) reach the one container
 * under names mangled per program, which the kubelet resolves; the sidecar-init gives each program
 * only its own, unmangled, and passes none of them on. Index = the program's place in spec.programs.
 */
export const PROGRAM_ENV_PATTERN = /^COREPOD_P\d+_[EF]/;
/** The container variable holding spec.programs[program].env[].valueFrom of the variable `name`. */
export function programEnvName(program: number, name: string): string {
  return `COREPOD_P${program}_E_${name}`;
}
/** The container envFrom prefix of spec.programs[program].envFrom[source], before the user's prefix. */
export function programEnvFromPrefix(program: number, source: number): string {
  return `COREPOD_P${program}_F${source}_`;
}
/** Container variables that are for the sidecar-init alone, never passed on to a program. */
export const SIDECAR_ONLY_ENV: readonly string[] = [ENV.githubToken];

/** Environment variables of the sidecar-init's own (set by whoever runs `corepod run`, or by tests), and what programs get. */
export const SIDECAR_ENV = {
  /** Every program's own name, in its environment. */
  program: 'COREPOD_PROGRAM',
  /** Control socket directory (default /run/corepod, or the user's runtime directory). */
  runDir: 'COREPOD_RUN_DIR',
  /** Set by the PID 1 path once tini runs in front, so the supervisor under it does not exec tini again. */
  reaper: 'COREPOD_REAPER',
  tini: 'COREPOD_TINI',
  setpriv: 'COREPOD_SETPRIV',
  mkfifo: 'COREPOD_MKFIFO',
  pipeSize: 'COREPOD_PIPE_SIZE',
  notifySocket: 'COREPOD_NOTIFY_SOCKET',
  peerUid: 'COREPOD_PEER_UID',
  /** Where the ServiceAccount token, CA and namespace are (default the kubelet's mount). */
  serviceAccountDir: 'COREPOD_SERVICEACCOUNT_DIR',
  alertCommentIntervalSeconds: 'COREPOD_ALERT_COMMENT_INTERVAL_SECONDS',
} as const;

/**
 * How the runtime reaches the pod. 'image-volume': the sidecar image mounted read-only at
 * RUNTIME_MOUNT_PATH (Kubernetes 1.35+, `volumes[].image`), shared by every pod on the node;
 * 'copy': an init container copies it into an emptyDir at every pod start.
 */
export type RuntimeDelivery = 'image-volume' | 'copy';

export interface SidecarContract {
  /** Image holding the self-contained sidecar runtime. */
  image: string;
  delivery: RuntimeDelivery;
  /** The runtime's directory inside the sidecar image (mounted at RUNTIME_MOUNT_PATH in 'image-volume'). */
  runtimePath: string;
  /** Init container command in 'copy': copies the runtime into RUNTIME_MOUNT_PATH. */
  installCommand: string[];
  /** App container command: starts the sidecar-init from RUNTIME_MOUNT_PATH (no shell, no libc from the app image). */
  entrypoint: string[];
  /** imagePullPolicy of the image volume or the init container (default IfNotPresent). */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export const DEFAULT_SIDECAR_IMAGE = 'corepod/sidecar:dev';

export const DEFAULT_SIDECAR: SidecarContract = {
  image: DEFAULT_SIDECAR_IMAGE,
  delivery: 'image-volume',
  runtimePath: '/opt/corepod/runtime',
  installCommand: ['/opt/corepod/bin/corepod-install', RUNTIME_MOUNT_PATH],
  entrypoint: [`${RUNTIME_MOUNT_PATH}/bin/corepod-init`],
};
