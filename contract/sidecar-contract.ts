// How the operator injects the sidecar-init into a pod: what the init container runs, where the
// runtime lands, how the app container starts it, and what it is told through the environment.
// The sidecar image and the sidecar-init (sidecar/) implement the other side of this contract.

/** Where the sidecar runtime is in the app container (an emptyDir the init container fills). */
export const RUNTIME_MOUNT_PATH = '/corepod';
/** Where the ConfigMap with the supervisor config is mounted, and the file in it. */
export const CONFIG_MOUNT_PATH = '/etc/corepod';
export const CONFIG_FILE_KEY = 'corepod.json';
export const CONFIG_PATH = `${CONFIG_MOUNT_PATH}/${CONFIG_FILE_KEY}`;
/** The ServiceAccount token, mounted readable only by the sidecar-init's user (mode 0400). */
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
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
  /** Where the ServiceAccount token, CA and namespace are (default the kubelet's mount). */
  serviceAccountDir: 'COREPOD_SERVICEACCOUNT_DIR',
  alertCommentIntervalSeconds: 'COREPOD_ALERT_COMMENT_INTERVAL_SECONDS',
} as const;

export interface SidecarContract {
  /** Image holding the self-contained sidecar runtime. */
  image: string;
  /** Init container command: copies the runtime into RUNTIME_MOUNT_PATH. */
  installCommand: string[];
  /** App container command: starts the sidecar-init from RUNTIME_MOUNT_PATH (no shell, no libc from the app image). */
  entrypoint: string[];
  /** imagePullPolicy of the init container (default IfNotPresent). */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export const DEFAULT_SIDECAR_IMAGE = 'corepod/sidecar:dev';

export const DEFAULT_SIDECAR: SidecarContract = {
  image: DEFAULT_SIDECAR_IMAGE,
  installCommand: ['/opt/corepod/bin/corepod-install', RUNTIME_MOUNT_PATH],
  entrypoint: [`${RUNTIME_MOUNT_PATH}/bin/corepod-init`],
};
