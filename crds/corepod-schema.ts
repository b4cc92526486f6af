// The CorePod API (dreamscape.io/v1alpha1): the one source of truth for the CRD
// (crds/corepod.yaml is generated from it), the operator's validation and the
// sidecar-init's config parsing.
import { z } from 'zod';

import { isTimeZone, nextRun, parseCron } from '../lib/cron.js';
import { API_VERSION, KIND, PROCESS_STATES } from './corepod-names.js';
import { OPERATOR_MOUNT_PATHS, OPERATOR_VOLUMES } from '../contract/sidecar-contract.js';
import { MAX_REQUESTS } from '../contract/control-request.js';

export { API_VERSION, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './corepod-names.js';

export const MAX_PROGRAMS = 100;
export const MAX_DEPENDENCIES = 16;
// Both bound the CEL rule that checks every mount names a declared volume (programs × mounts × volumes).
export const MAX_VOLUMES = 64;
export const MAX_VOLUME_MOUNTS = 16;

/**
 * A field whose CRD schema is core/v1's own (crds/core-v1.ts, generated from Kubernetes' OpenAPI):
 * the CRD generator puts that schema, with its description, in place of this node and keeps the
 * bounds and CEL rules set here. zod checks only what the CorePod itself relies on; the rest of
 * the object passes through, to be checked by the apiserver.
 */
export const CORE_V1_META = 'x-corepod-core-v1';
const coreV1 = <T extends z.ZodType>(field: string, type: T): T => type.meta({ [CORE_V1_META]: field });

/** An absolute path, or one that starts with a $(VAR_NAME) reference expanded when the program starts. */
const ABSOLUTE_OR_REFERENCE = /^(\/|\$\()/;
const ABSOLUTE_OR_REFERENCE_ERROR = 'expected an absolute path (or one starting with a $(VAR_NAME) reference)';
export const MAX_INSTANCES = 100;

export const STOP_SIGNALS = ['TERM', 'INT', 'QUIT', 'HUP', 'KILL', 'USR1', 'USR2'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export const RELOAD_SIGNALS = ['HUP', 'USR1', 'USR2', 'WINCH'] as const;

export { PROCESS_STATES, type ProcessStateName } from './corepod-names.js';

export const PHASES = ['Pending', 'Starting', 'Running', 'Degraded', 'Failed'] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_SOURCE_ONE_OF = 'exactly one of secretKeyRef, configMapKeyRef, fieldRef or resourceFieldRef must be set';
const ENV_FROM_ONE_OF = 'exactly one of secretRef or configMapRef must be set';
const VALUE_AND_VALUE_FROM = 'value must be empty when valueFrom is set';
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const seconds = (description: string, defaultValue: number) => z.int().min(0).max(86_400).default(defaultValue).describe(description);

const port = z.int().min(1).max(65_535);

/**
 * For cross-field checks that should still run when unrelated fields have issues (zod skips
 * refinements after any issue by default): run unless a field the check reads has one.
 */
const unlessIssuesIn =
  (...keys: string[]) =>
  (payload: z.core.ParsePayload): boolean =>
    !payload.issues.some((issue) => (issue.path ?? []).length === 0 || keys.includes(String(issue.path?.[0])));

/** A byte size: an integer, or a Kubernetes quantity string such as "200Mi". */
export const quantity = z
  .union(
    [
      z.int().min(0),
      z
        .string()
        .regex(QUANTITY, { error: 'expected a byte quantity such as 200Mi, 1Gi or 52428800' })
        .refine((value) => !QUANTITY.test(value) || Number.isSafeInteger(quantityToBytes(value)), { error: 'expected a byte quantity of at most 8Pi (2^53 bytes)' }),
    ],
    {
      error: 'expected a byte quantity such as 200Mi, 1Gi or 52428800',
    },
  )
  .meta({ 'x-kubernetes-int-or-string': true });

const QUANTITY_FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes in a quantity ("200Mi" → 209715200). */
export function quantityToBytes(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = QUANTITY.exec(value);
  if (!match) throw new Error(`not a byte quantity: ${value}`);
  const unit = match[2] ?? '';
  return Math.round(Number.parseFloat(value) * (QUANTITY_FACTORS[unit] ?? 1));
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const envName = z.string().regex(ENV_NAME, { error: 'expected an environment variable name' });
const objectName = (kind: string) =>
  z
    .string()
    .max(253)
    .regex(DNS_SUBDOMAIN, { error: `expected the name of a ${kind}` })
    .describe(`Name of the ${kind} in the CorePod's namespace.`);
const optionalRef = (kind: string) => z.boolean().optional().describe(`Whether the ${kind} (or its key) may be missing; if not, the pod waits for it.`);

/** Pod fields a fieldRef may select (the downward API of a container's env). */
export const FIELD_PATH = /^(metadata\.(name|namespace|uid|labels\['[^']+'\]|annotations\['[^']+'\])|spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$/;
const RESOURCE_FIELD = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-[a-zA-Z0-9]+)$/;

export const KeyRef = (kind: string) =>
  z
    .strictObject({
      name: objectName(kind),
      key: z.string().min(1).max(253).describe(`The key of the ${kind} to select.`),
      optional: optionalRef(kind),
    })
    .describe(`Selects a key of a ${kind} in the CorePod's namespace.`);

/** Where a variable's value comes from, as in a container's env[].valueFrom (core/v1 EnvVarSource). */
export const EnvVarSource = z
  .strictObject({
    secretKeyRef: KeyRef('Secret').optional(),
    configMapKeyRef: KeyRef('ConfigMap').optional(),
    fieldRef: z
      .strictObject({
        apiVersion: z.literal('v1').optional().describe('Version of the schema the fieldPath is written in; only "v1".'),
        fieldPath: z
          .string()
          .regex(FIELD_PATH, {
            error:
              'expected metadata.name, metadata.namespace, metadata.uid, metadata.labels[...], metadata.annotations[...], spec.nodeName, spec.serviceAccountName or status.hostIP(s)/podIP(s)',
          })
          .describe('Path of the pod field to select, e.g. metadata.name or status.podIP.'),
      })
      .optional()
      .describe('Selects a field of the pod.'),
    resourceFieldRef: z
      .strictObject({
        resource: z
          .string()
          .regex(RESOURCE_FIELD, { error: 'expected limits.cpu, limits.memory, limits.ephemeral-storage or requests.*' })
          .describe('Resource of the container to select, e.g. limits.memory.'),
        divisor: z
          .union([z.int().min(1), z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/)])
          .meta({ 'x-kubernetes-int-or-string': true })
          .optional()
          .describe('Output format of the exposed resources, defaults to "1".'),
      })
      .optional()
      .describe('Selects a resource of the container (spec.resources): its limit or request.'),
  })
  .refine((source) => [source.secretKeyRef, source.configMapKeyRef, source.fieldRef, source.resourceFieldRef].filter(Boolean).length === 1, {
    error: ENV_SOURCE_ONE_OF,
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.secretKeyRef), has(self.configMapKeyRef), has(self.fieldRef), has(self.resourceFieldRef)].filter(x, x).size() == 1',
        message: ENV_SOURCE_ONE_OF,
      },
    ],
  })
  .describe("Source for the variable's value; the kubelet resolves it when the pod starts.");

export const EnvVar = z
  .strictObject({
    name: envName.describe('Name of the variable.'),
    value: z
      .string()
      .default('')
      .describe(
        'Value of the variable (empty with valueFrom); $(VAR_NAME) references to the inherited environment and to variables defined before this one are expanded, $$ is a literal $.',
      ),
    valueFrom: EnvVarSource.optional(),
  })
  .refine((variable) => variable.valueFrom === undefined || variable.value === '', { error: VALUE_AND_VALUE_FROM, path: ['value'] })
  .meta({ 'x-kubernetes-validations': [{ rule: "!has(self.valueFrom) || !has(self.value) || self.value == ''", message: VALUE_AND_VALUE_FROM, fieldPath: '.value' }] })
  .describe('An environment variable for the program.');

export const EnvFromSource = z
  .strictObject({
    prefix: z
      .string()
      .max(253)
      .regex(/^([-._a-zA-Z][-._a-zA-Z0-9]*)?$/, { error: 'expected the start of an environment variable name' })
      .optional()
      .describe('Prepended to each key of the source.'),
    secretRef: z
      .strictObject({ name: objectName('Secret'), optional: optionalRef('Secret') })
      .optional()
      .describe('Every key of a Secret as a variable.'),
    configMapRef: z
      .strictObject({ name: objectName('ConfigMap'), optional: optionalRef('ConfigMap') })
      .optional()
      .describe('Every key of a ConfigMap as a variable.'),
  })
  .refine((source) => (source.secretRef === undefined) !== (source.configMapRef === undefined), { error: ENV_FROM_ONE_OF })
  .meta({ 'x-kubernetes-validations': [{ rule: 'has(self.secretRef) != has(self.configMapRef)', message: ENV_FROM_ONE_OF }] })
  .describe('Variables from every key of a Secret or a ConfigMap; keys that are not valid variable names are skipped.');

const OPERATOR_VOLUME_NAMES = Object.values(OPERATOR_VOLUMES);
const OPERATOR_VOLUME_NAME = `volume names ${OPERATOR_VOLUME_NAMES.join(', ')} are the operator's own`;
const OPERATOR_MOUNT_PATH = `${OPERATOR_MOUNT_PATHS.join(', ')} and what is under them are the operator's own mount paths`;
const celList = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(', ')}]`;
const isOperatorPath = (mountPath: string) => OPERATOR_MOUNT_PATHS.some((p) => mountPath === p || mountPath.startsWith(`${p}/`));

export const Volume = z
  .looseObject({
    name: z
      .string()
      .max(63)
      .regex(DNS_LABEL, { error: 'expected a DNS label' })
      .refine((name) => !OPERATOR_VOLUME_NAMES.includes(name as never), { error: OPERATOR_VOLUME_NAME }),
  })
  .meta({ 'x-kubernetes-validations': [{ rule: `!(self.name in ${celList(OPERATOR_VOLUME_NAMES)})`, message: OPERATOR_VOLUME_NAME, fieldPath: '.name' }] });

export const VolumeMount = z
  .looseObject({
    name: z.string().max(63),
    mountPath: z
      .string()
      .max(1024)
      .regex(/^\//, { error: 'expected an absolute path' })
      .refine((mountPath) => !isOperatorPath(mountPath), { error: OPERATOR_MOUNT_PATH }),
    readOnly: z.boolean().optional(),
    subPath: z.string().optional(),
    subPathExpr: z.string().optional(),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: `!${celList(OPERATOR_MOUNT_PATHS)}.exists(p, self.mountPath == p || self.mountPath.startsWith(p + '/'))`,
        message: OPERATOR_MOUNT_PATH,
        fieldPath: '.mountPath',
      },
    ],
  });

export const ContainerPort = z
  .strictObject({
    name: z.string().regex(DNS_LABEL).max(15).optional().describe('Name of the port, used by the generated Service.'),
    containerPort: port.describe('Port the program listens on.'),
    protocol: z.enum(['TCP', 'UDP']).default('TCP').describe('Protocol of the port.'),
  })
  .describe('A port the program serves; the operator exposes it through the CorePod Service.');

export const HealthCheck = z
  .strictObject({
    httpGet: z
      .strictObject({
        path: z.string().startsWith('/').default('/').describe('Path to GET; any 2xx or 3xx answer is healthy.'),
        port: port.describe('Port on the loopback interface.'),
        host: z.string().default('127.0.0.1').describe('Host to connect to.'),
      })
      .optional()
      .describe('Probe with an HTTP GET.'),
    tcpSocket: z
      .strictObject({
        port: port.describe('Port on the loopback interface.'),
        host: z.string().default('127.0.0.1').describe('Host to connect to.'),
      })
      .optional()
      .describe('Probe by opening a TCP connection.'),
    exec: z
      .strictObject({
        command: z.array(z.string()).min(1).max(64).describe('Command to run; exit code 0 is healthy.'),
      })
      .optional()
      .describe('Probe by running a command.'),
    initialDelaySeconds: seconds('Seconds after the program starts before the first probe.', 0),
    periodSeconds: z.int().min(1).max(3600).default(10).describe('Seconds between probes.'),
    timeoutSeconds: z.int().min(1).max(3600).default(1).describe('Seconds after which a probe counts as failed.'),
    failureThreshold: z.int().min(1).max(100).default(3).describe('Consecutive failures after which the program is restarted.'),
    required: z.boolean().default(true).describe('Whether this check counts toward the pod readiness (the global health endpoint).'),
  })
  .refine((check) => [check.httpGet, check.tcpSocket, check.exec].filter(Boolean).length === 1, {
    error: 'exactly one of httpGet, tcpSocket or exec must be set',
  })
  .meta({
    'x-kubernetes-validations': [
      { rule: '[has(self.httpGet), has(self.tcpSocket), has(self.exec)].filter(x, x).size() == 1', message: 'exactly one of httpGet, tcpSocket or exec must be set' },
    ],
  })
  .describe('How to check that the program is healthy.');

export const LifecycleHandler = z
  .strictObject({
    exec: z
      .strictObject({
        command: z.array(z.string()).min(1).max(64).describe("Command to run, with the program's environment, directory and user; exit code 0 is success."),
      })
      .optional()
      .describe('Run a command.'),
    httpGet: z
      .strictObject({
        path: z.string().startsWith('/').default('/').describe('Path to GET; any 2xx or 3xx answer is success.'),
        port: port.describe('Port to connect to.'),
        host: z.string().default('127.0.0.1').describe('Host to connect to.'),
      })
      .optional()
      .describe('Send an HTTP GET.'),
  })
  .refine((handler) => [handler.exec, handler.httpGet].filter(Boolean).length === 1, { error: 'exactly one of exec or httpGet must be set' })
  .meta({ 'x-kubernetes-validations': [{ rule: '[has(self.exec), has(self.httpGet)].filter(x, x).size() == 1', message: 'exactly one of exec or httpGet must be set' }] })
  .describe('A lifecycle hook: exec or httpGet, as core/v1 LifecycleHandler.');

export const Lifecycle = z
  .strictObject({
    postStart: LifecycleHandler.optional().describe(
      'Run after each spawn; the program is RUNNING only once it succeeded (at most startTimeoutSeconds), and its failure stops the program and counts as a failed start.',
    ),
    preStop: LifecycleHandler.optional().describe('Run before the stop signal at every stop; its time counts in stopWaitSeconds, after which SIGKILL follows.'),
  })
  .describe('Hooks run around the life of each run of the program (core/v1 Lifecycle).');

export const CONCURRENCY_POLICIES = ['Forbid', 'Allow', 'Replace'] as const;

export const Schedule = z
  .strictObject({
    cron: z
      .string()
      .max(256)
      .superRefine((expression, ctx) => {
        const parsed = parseCron(expression);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `not a cron expression: ${parsed.error}` });
        else if (nextRun(parsed.schedule, Date.UTC(2000, 0, 1), 'UTC') === undefined) ctx.addIssue({ code: 'custom', message: 'this schedule never runs' });
      })
      .describe('When to run, as a Kubernetes CronJob schedule: minute hour day-of-month month day-of-week (e.g. "*/5 * * * *"), or @hourly, @daily, @weekly, @monthly, @yearly.'),
    timeZone: z
      .string()
      .max(64)
      .default('UTC')
      .refine(isTimeZone, { error: 'not a time zone known to the IANA database, e.g. Europe/Paris or UTC' })
      .describe('IANA time zone of the schedule (e.g. Europe/Paris).'),
    concurrencyPolicy: z
      .enum(CONCURRENCY_POLICIES, { error: `expected one of ${CONCURRENCY_POLICIES.join(', ')}` })
      .default('Forbid')
      .describe(
        'A run due while the previous one is still up: Forbid skips it, Replace stops the previous one and starts it, Allow starts it as soon as the previous one has ended (one program is one process, so runs cannot overlap; at most one waits).',
      ),
    startingDeadlineSeconds: z.int().min(1).max(86_400).optional().describe('A run that cannot start within this many seconds of its time is skipped.'),
  })
  .describe('Run the program on a schedule, like a CronJob inside the pod; it is not started otherwise (autostart does not apply).');

export const ProgramLogs = z
  .strictObject({
    mirror: z.boolean().default(true).describe("Mirror each output line as one JSON line to the container's stdout (kubectl logs)."),
    stdoutFile: z
      .string()
      .regex(ABSOLUTE_OR_REFERENCE, { error: ABSOLUTE_OR_REFERENCE_ERROR })
      .optional()
      .describe('File to which stdout is written, rotated by size; $(VAR_NAME) references are expanded from the program environment.'),
    stderrFile: z
      .string()
      .regex(ABSOLUTE_OR_REFERENCE, { error: ABSOLUTE_OR_REFERENCE_ERROR })
      .optional()
      .describe('File to which stderr is written, rotated by size; it may equal stdoutFile.'),
    maxBytes: quantity.default('50Mi').describe('Size at which a log file is rotated.'),
    backups: z.int().min(0).max(100).default(10).describe('Rotated files kept per log file.'),
  })
  .describe("Where the program's output goes.");

export const ProgramMemory = z
  .strictObject({
    limit: quantity.describe("Limit on the resident memory of the program's whole process tree."),
    action: z.enum(['alert', 'restart']).default('alert').describe('What to do when the limit is passed: alert (an Event) or restart the program.'),
  })
  .describe("A memory limit on the program's process tree, sampled every second from /proc.");

export const RestartBudget = z
  .strictObject({
    maxRestarts: z.int().min(1).max(10_000).default(5).describe('Restarts allowed within the window before the program goes FATAL.'),
    windowSeconds: z.int().min(1).max(86_400).default(60).describe('Length of the sliding window in seconds.'),
  })
  .describe('A limit on restarts over a sliding window, also after startSeconds has passed.');

export const DEPENDENCY_CONDITIONS = ['Started', 'Ready', 'Completed', 'CompletedSuccessfully'] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];
export const COMPLETION_CONDITIONS: readonly DependencyCondition[] = ['Completed', 'CompletedSuccessfully'];

const DEPENDENCY_DESCRIPTION =
  'A program that must reach a condition before this one starts: its bare name (condition Ready), or {name, condition}. Started: it has been spawned. Ready: RUNNING and, with a health check, healthy. Completed: it exited by itself and is not restarted. CompletedSuccessfully: the same with an exit code in its exitCodes (a oneshot such as a migration).';

export const Dependency = z
  .union(
    [
      z.string().max(63),
      z.strictObject({
        name: z.string().max(63).describe('Name of the program depended on.'),
        condition: z
          .enum(DEPENDENCY_CONDITIONS, { error: `expected one of ${DEPENDENCY_CONDITIONS.join(', ')}` })
          .default('Ready')
          .describe('What the program depended on must reach: Started, Ready, Completed or CompletedSuccessfully.'),
      }),
    ],
    { error: 'expected a program name or {name, condition}' },
  )
  .transform((dependency) => (typeof dependency === 'string' ? { name: dependency, condition: 'Ready' as const } : dependency))
  // Not a structural type (a string or an object): the CRD leaves each entry untyped and the
  // operator's validation (this schema) checks it.
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe(DEPENDENCY_DESCRIPTION);
export type DependencySpec = z.output<typeof Dependency>;

export const BACKOFF_POLICIES = ['linear', 'exponential'] as const;

export const Backoff = z
  .strictObject({
    policy: z
      .enum(BACKOFF_POLICIES, { error: `expected one of ${BACKOFF_POLICIES.join(', ')}` })
      .default('linear')
      .describe('How the delay before retry n grows: linear (n × initialSeconds, supervisord) or exponential (initialSeconds × 2^(n-1)).'),
    initialSeconds: z.int().min(1).max(86_400).default(1).describe('Delay before the first retry.'),
    maxSeconds: z.int().min(1).max(86_400).optional().describe('Upper bound of the delay; no bound when left out.'),
    resetAfterSeconds: seconds(
      'With 0 the retry count resets when the program becomes RUNNING and an exit from RUNNING restarts it at once (supervisord). Above 0 an exit from RUNNING sooner than this after becoming RUNNING is retried after the next delay too, and only a run this long resets the count.',
      0,
    ),
  })
  .refine((b) => b.maxSeconds === undefined || b.maxSeconds >= b.initialSeconds, {
    error: 'maxSeconds must not be below initialSeconds',
    path: ['maxSeconds'],
    when: unlessIssuesIn('initialSeconds', 'maxSeconds'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!has(self.maxSeconds) || self.maxSeconds >= (has(self.initialSeconds) ? self.initialSeconds : 1)',
        message: 'maxSeconds must not be below initialSeconds',
        fieldPath: '.maxSeconds',
      },
    ],
  })
  .describe("Delays between restarts; the default is supervisord's 1 s, 2 s, 3 s, ...");

const NOTIFY_EXCLUSIVE = 'notify and notifyFd exclude each other: a program says it is ready one way';
const SCHEDULE_NEEDS_NO_RESTART = 'a scheduled program runs once per schedule: give it autorestart: false or "unexpected"';
const WATCHDOG_NEEDS_NOTIFY = 'watchdogSeconds needs notify: true (WATCHDOG=1 comes over NOTIFY_SOCKET)';

export const Program = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(DNS_LABEL, { error: 'expected a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit' })
      .describe('Name of the program, unique within the CorePod.'),
    command: z
      .array(z.string())
      .min(1)
      .max(256)
      .describe(
        'The program and its arguments (no shell). Variable references $(VAR_NAME) are expanded from the program\'s environment; a reference that cannot be resolved is left unchanged, and $$ is a literal $, so "$$(VAR_NAME)" gives "$(VAR_NAME)".',
      ),
    workingDir: z
      .string()
      .regex(ABSOLUTE_OR_REFERENCE, { error: ABSOLUTE_OR_REFERENCE_ERROR })
      .optional()
      .describe('Working directory of the program; $(VAR_NAME) references are expanded from its environment.'),
    instances: z
      .int()
      .min(1)
      .max(MAX_INSTANCES)
      .optional()
      .describe(
        'Processes of this program (supervisord numprocs), 1 when left out: N > 1 runs name:00, name:01, ... each with COREPOD_INSTANCE (0, 1, ...) in its environment, usable as $(COREPOD_INSTANCE) in command, env, workingDir and log files.',
      ),
    umask: z
      .string()
      .regex(/^[0-7]{3,4}$/, { error: 'expected an octal file mode creation mask such as 022' })
      .optional()
      .describe("File mode creation mask of the program, octal (e.g. 022); left out: the sidecar-init's own."),
    user: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('User (name or uid) to run the program as; needs the sidecar-init to run as root (no spec.securityContext) with CAP_SETUID and CAP_SETGID.'),
    env: z
      .array(EnvVar)
      .max(256)
      .default([])
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe('Environment variables of this program only, added to the supervisor environment after envFrom (a later one wins).'),
    envFrom: z.array(EnvFromSource).max(64).optional().describe('Variables of this program from whole Secrets and ConfigMaps, before env; a later source wins.'),
    autostart: z.boolean().default(true).describe('Start the program when the supervisor starts.'),
    autorestart: z
      .union([z.boolean(), z.literal('unexpected')], { error: 'expected true, false or "unexpected"' })
      .default(true)
      // Not a structural type: the CRD leaves it untyped and the generator turns the union into
      // enum [true, false, "unexpected"] (CEL cannot compile rules on an untyped field).
      .meta({ 'x-kubernetes-preserve-unknown-fields': true })
      .describe('Restart after the program exits: true (always), false (never) or "unexpected" (only for exit codes not in exitCodes).'),
    exitCodes: z.array(z.int().min(0).max(255)).max(256).default([0]).describe('Exit codes that are expected, for autorestart "unexpected".'),
    priority: z.int().min(0).max(100_000).default(999).describe('Start order (ascending) and stop order (descending).'),
    startSeconds: seconds('Seconds the program must stay up to count as started (RUNNING).', 1),
    startRetries: z
      .int()
      .min(0)
      .max(1000)
      .default(3)
      .describe('Failed starts (exits before startSeconds) allowed before FATAL; the delay between them follows backoff (1 s, 2 s, 3 s, ... by default).'),
    stopSignal: z
      .enum(STOP_SIGNALS, { error: `expected one of ${STOP_SIGNALS.join(', ')}` })
      .default('TERM')
      .describe('Signal sent to the process group to stop the program.'),
    stopWaitSeconds: seconds('Seconds to wait after stopSignal before SIGKILL.', 10),
    critical: z.boolean().default(false).describe('When the program goes FATAL the whole container exits non-zero.'),
    backoff: Backoff.prefault({}),
    restartPreventExitCodes: z
      .array(z.int().min(0).max(255))
      .max(256)
      .default([])
      .describe('Exit codes after which the program is never restarted automatically, whatever autorestart says (systemd RestartPreventExitStatus).'),
    exitContainerOnExit: z
      .boolean()
      .default(false)
      .describe(
        'When the program exits by itself it is not restarted: every program is stopped and the container (or corepod run) exits with its exit code (128 + the signal number after a signal).',
      ),
    dependsOn: z
      .array(Dependency)
      .max(MAX_DEPENDENCIES)
      .default([])
      .describe(
        'Programs that must reach a condition before this one starts: a bare name waits until it is RUNNING (and healthy, if it has a health check); {name, condition} for Started, Ready, Completed or CompletedSuccessfully.',
      ),
    onDependencyFailure: z
      .enum(['restart', 'stop'], { error: 'expected restart or stop' })
      .optional()
      .describe(
        'What to do with this program, once started, when a Started or Ready dependency exits, goes FATAL or fails its health check: stop it, or restart it once the dependency is back. Left out: nothing.',
      ),
    ports: z.array(ContainerPort).max(64).default([]).describe('Ports the program serves.'),
    volumeMounts: coreV1(
      'io.k8s.api.core.v1.Container.volumeMounts',
      z
        .array(VolumeMount)
        .max(MAX_VOLUME_MOUNTS)
        .optional()
        .describe("Volumes of spec.volumes this program needs mounted; the container gets the union of the programs' mounts (a change rolls the pods)."),
    ),
    notify: z
      .boolean()
      .default(false)
      .describe(
        'The program says itself when it is ready, with the sd_notify protocol: it gets NOTIFY_SOCKET (a unix datagram socket) and is RUNNING only once it sent READY=1; STATUS= is shown in its status, WATCHDOG=1 pings (with watchdogSeconds), EXTEND_TIMEOUT_USEC= and MAINPID= are understood.',
      ),
    notifyFd: z
      .int()
      .min(3, { error: 'expected a file descriptor of 3 or more (0, 1 and 2 are stdin, stdout and stderr)' })
      .max(255)
      .optional()
      .describe('s6-style readiness: the program gets a pipe as this file descriptor and is RUNNING only once it wrote a newline to it.'),
    watchdogSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe('With notify: the program must send WATCHDOG=1 at least this often once ready (it gets WATCHDOG_USEC), else it is restarted.'),
    startTimeoutSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(90)
      .describe('With notify or notifyFd: seconds the program has to say it is ready, then it is stopped and FATAL; also the time a postStart hook has.'),
    reloadSignal: z
      .enum(RELOAD_SIGNALS, { error: `expected one of ${RELOAD_SIGNALS.join(', ')}` })
      .optional()
      .describe(
        'Signal that makes the program re-read its configuration (HUP for nginx). An edit of the CorePod that would restart the program (command, env, ...) sends this signal to its main process instead; the process keeps its pid, command line and environment.',
      ),
    lifecycle: Lifecycle.optional(),
    schedule: Schedule.optional(),
    healthCheck: HealthCheck.optional(),
    logs: ProgramLogs.prefault({}),
    memory: ProgramMemory.optional(),
    restartBudget: RestartBudget.prefault({}),
  })
  .superRefine(
    (program, ctx) => {
      const seen = new Set<string>();
      program.env.forEach((variable, j) => {
        if (seen.has(variable.name)) ctx.addIssue({ code: 'custom', path: ['env', j], message: `duplicate environment variable "${variable.name}"` });
        seen.add(variable.name);
      });
    },
    { when: unlessIssuesIn('env') },
  )
  .superRefine(
    (program, ctx) => {
      if (program.notify && program.notifyFd !== undefined) ctx.addIssue({ code: 'custom', path: ['notifyFd'], message: NOTIFY_EXCLUSIVE });
      if (program.watchdogSeconds !== undefined && !program.notify) ctx.addIssue({ code: 'custom', path: ['watchdogSeconds'], message: WATCHDOG_NEEDS_NOTIFY });
      if (program.schedule && program.autorestart === true) ctx.addIssue({ code: 'custom', path: ['schedule'], message: SCHEDULE_NEEDS_NO_RESTART });
    },
    { when: unlessIssuesIn('notify', 'notifyFd', 'watchdogSeconds', 'schedule', 'autorestart') },
  )
  .meta({
    'x-kubernetes-validations': [
      { rule: '!has(self.notifyFd) || !has(self.notify) || !self.notify', message: NOTIFY_EXCLUSIVE, fieldPath: '.notifyFd' },
      { rule: '!has(self.watchdogSeconds) || (has(self.notify) && self.notify)', message: WATCHDOG_NEEDS_NOTIFY, fieldPath: '.watchdogSeconds' },
    ],
  })
  .describe('A program run and supervised inside the container.');

export const ContainerMemory = z
  .strictObject({
    warningPercent: z.int().min(1).max(100).default(85).describe('Container memory use (percent of its limit) that raises a warning.'),
    criticalPercent: z.int().min(1).max(100).default(95).describe('Container memory use (percent of its limit) that is critical.'),
    action: z.enum(['alert', 'restart']).default('alert').describe('At the critical level: alert, or also restart the program using the most memory.'),
  })
  .refine((m) => m.warningPercent < m.criticalPercent, {
    error: 'warningPercent must be below criticalPercent',
    path: ['warningPercent'],
    when: unlessIssuesIn('warningPercent', 'criticalPercent'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        // has(): the apiserver also checks the rule against the bare default {}.
        rule: '!has(self.warningPercent) || !has(self.criticalPercent) || self.warningPercent < self.criticalPercent',
        message: 'warningPercent must be below criticalPercent',
        fieldPath: '.warningPercent',
      },
    ],
  })
  .describe('Container-wide memory thresholds (cgroup v1 or v2).');

export const ResourceList = z
  .strictObject({
    cpu: z
      .union([z.int().min(0), z.string().regex(/^[0-9]+(\.[0-9]+)?m?$/)])
      .meta({ 'x-kubernetes-int-or-string': true })
      .optional()
      .describe('CPU, e.g. 500m.'),
    memory: quantity.optional().describe('Memory, e.g. 512Mi.'),
  })
  .describe('Amounts of compute resources.');

export const Resources = z
  .strictObject({
    requests: ResourceList.optional().describe('Resources the scheduler reserves for the container.'),
    limits: ResourceList.optional().describe('Upper bounds for the container.'),
  })
  .describe('Compute resources of the single app container.');

export const SecretKeyRef = z
  .strictObject({
    name: z.string().regex(DNS_LABEL).max(253).describe('Name of the Secret in the CorePod namespace.'),
    key: z.string().min(1).max(253).describe('Key within the Secret.'),
  })
  .describe('A key of a Secret in the same namespace.');

const PDB_ONE_OF = 'exactly one of minAvailable or maxUnavailable must be set';
const intOrPercent = (description: string) =>
  z
    .union([z.int().min(0), z.string().regex(/^[0-9]+%$/, { error: 'expected a number of pods or a percentage such as 50%' })], {
      error: 'expected a number of pods or a percentage such as 50%',
    })
    .meta({ 'x-kubernetes-int-or-string': true })
    .optional()
    .describe(description);

export const PodDisruptionBudget = z
  .strictObject({
    minAvailable: intOrPercent('Pods (a number, or a percentage of spec.replicas) that must stay available during a voluntary disruption such as a node drain.'),
    maxUnavailable: intOrPercent('Pods (a number, or a percentage of spec.replicas) that may be unavailable during a voluntary disruption.'),
  })
  .refine((budget) => (budget.minAvailable === undefined) !== (budget.maxUnavailable === undefined), { error: PDB_ONE_OF })
  .meta({ 'x-kubernetes-validations': [{ rule: 'has(self.minAvailable) != has(self.maxUnavailable)', message: PDB_ONE_OF }] })
  .describe('A PodDisruptionBudget (policy/v1) for the pods of this CorePod, owned by it; none when left out.');

/** Pod labels the operator selects its pods by; spec.podMetadata.labels may not set them. */
export const OPERATOR_POD_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by'] as const;
/** Pod annotations the operator sets; spec.podMetadata.annotations may not set them. */
export const OPERATOR_POD_ANNOTATIONS = ['dreamscape.io/config-hash', 'kubectl.kubernetes.io/default-container'] as const;

const stringMap = (description: string) => z.record(z.string(), z.string()).optional().describe(description);
const notOperatorKeys = (keys: readonly string[], what: string) => {
  const message = `${keys.join(', ')} are the operator's own ${what}`;
  return {
    check: (map: Record<string, string> | undefined) => !Object.keys(map ?? {}).some((key) => keys.includes(key)),
    message,
    rule: { rule: `!self.exists(k, k in ${celList(keys)})`, message },
  };
};
const podLabels = notOperatorKeys(OPERATOR_POD_LABELS, 'pod labels');
const podAnnotations = notOperatorKeys(OPERATOR_POD_ANNOTATIONS, 'pod annotations');

export const PodMetadata = z
  .strictObject({
    labels: stringMap("Labels added to every pod (e.g. for a mesh or a NetworkPolicy); the operator's selector labels are its own.")
      .refine(podLabels.check, { error: podLabels.message })
      .meta({ 'x-kubernetes-validations': [podLabels.rule] }),
    annotations: stringMap("Annotations added to every pod (e.g. a mesh's injection or a scraper's port).")
      .refine(podAnnotations.check, { error: podAnnotations.message })
      .meta({ 'x-kubernetes-validations': [podAnnotations.rule] }),
  })
  .describe("Labels and annotations of the pods, merged into the Deployment's pod template (not the CorePod's own metadata).");

export const ServiceAccountSettings = z
  .strictObject({
    annotations: stringMap("Annotations of the pods' ServiceAccount, e.g. for workload identity (eks.amazonaws.com/role-arn, iam.gke.io/gcp-service-account)."),
  })
  .describe("The pods' ServiceAccount, which the operator creates.");

const TRAFFIC_POLICY_NEEDS_TYPE = 'externalTrafficPolicy needs type NodePort or LoadBalancer';
const CLASS_NEEDS_TYPE = 'loadBalancerClass needs type LoadBalancer';
const DNS_NONE_NEEDS_CONFIG = 'dnsPolicy None needs dnsConfig';

export const ServiceSettings = z
  .strictObject({
    enabled: z.boolean().optional().describe('false: no Service, even when programs declare ports. Default true.'),
    type: coreV1('io.k8s.api.core.v1.ServiceSpec.type', z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional()),
    annotations: stringMap('Annotations of the Service, e.g. for a cloud load balancer.'),
    externalTrafficPolicy: coreV1('io.k8s.api.core.v1.ServiceSpec.externalTrafficPolicy', z.enum(['Cluster', 'Local']).optional()),
    loadBalancerClass: coreV1('io.k8s.api.core.v1.ServiceSpec.loadBalancerClass', z.string().max(253).optional()),
  })
  .refine((service) => service.externalTrafficPolicy === undefined || service.type === 'NodePort' || service.type === 'LoadBalancer', {
    error: TRAFFIC_POLICY_NEEDS_TYPE,
    path: ['externalTrafficPolicy'],
  })
  .refine((service) => service.loadBalancerClass === undefined || service.type === 'LoadBalancer', { error: CLASS_NEEDS_TYPE, path: ['loadBalancerClass'] })
  .meta({
    'x-kubernetes-validations': [
      { rule: "!has(self.externalTrafficPolicy) || (has(self.type) && self.type != 'ClusterIP')", message: TRAFFIC_POLICY_NEEDS_TYPE, fieldPath: '.externalTrafficPolicy' },
      { rule: "!has(self.loadBalancerClass) || (has(self.type) && self.type == 'LoadBalancer')", message: CLASS_NEEDS_TYPE, fieldPath: '.loadBalancerClass' },
    ],
  })
  .describe('The Service of the ports the programs declare.');

const LOCAL_OBJECT_REFERENCE = z.looseObject({ name: z.string().max(253) });

export const Alerts = z
  .strictObject({
    github: z
      .strictObject({
        owner: z.string().min(1).max(100).describe('Owner of the repository.'),
        repo: z.string().min(1).max(100).describe('Repository in which alert issues are opened.'),
        labels: z.array(z.string().max(50)).max(20).default(['corepod-alert']).describe('Labels put on alert issues.'),
        tokenSecretRef: SecretKeyRef.describe('Secret key holding the GitHub token.'),
        apiUrl: z.url().optional().describe('GitHub API base URL (for GitHub Enterprise).'),
      })
      .optional()
      .describe('Open a GitHub issue for crash and memory alerts.'),
  })
  .describe('Where alerts go besides Kubernetes Events.');

/** Why a program's `user` and spec.securityContext exclude each other. */
export const USER_NEEDS_ROOT = 'a program cannot switch user in a non-root pod (spec.securityContext): switching needs root with CAP_SETUID and CAP_SETGID';

const UID = z.int().min(0).max(2_147_483_647);

export const PodSecurity = z
  .strictObject({
    runAsUser: z
      .int()
      .min(1, { error: 'expected a non-root uid (1 or more); leave securityContext out to run as root' })
      .max(2_147_483_647)
      .describe(
        'Non-root uid of the sidecar-init and every program. Setting it makes the pod meet Pod Security "restricted": runAsNonRoot, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped.',
      ),
    runAsGroup: UID.optional().describe('Primary gid of every process; defaults to runAsUser.'),
    fsGroup: UID.optional().describe(
      'Supplementary gid that owns the pod volumes. Not needed for the ServiceAccount token (kubelet gives it to runAsUser, mode 0600); with fsGroup the token becomes group-readable (0640).',
    ),
  })
  .describe('Run the whole pod as a non-root user (a subset of the Pod securityContext). Leave it out to run the sidecar-init as root, which per-program user switching needs.');

type DependentProgram = { name: string; autorestart: boolean | 'unexpected'; dependsOn: DependencySpec[] };

function dependencyProblems(programs: DependentProgram[]): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const index = new Map<string, number>();
  programs.forEach((program, i) => {
    if (index.has(program.name)) problems.push({ path: [i, 'name'], message: `duplicate program name "${program.name}"` });
    else index.set(program.name, i);
  });
  programs.forEach((program, i) =>
    program.dependsOn.forEach(({ name, condition }, j) => {
      if (name === program.name) problems.push({ path: [i, 'dependsOn', j], message: 'a program cannot depend on itself' });
      else if (!index.has(name)) problems.push({ path: [i, 'dependsOn', j], message: `no program named "${name}"` });
      else if (COMPLETION_CONDITIONS.includes(condition) && programs[index.get(name)!]!.autorestart === true) {
        problems.push({
          path: [i, 'dependsOn', j, 'condition'],
          message: `"${name}" is restarted whenever it exits (autorestart: true), so it never completes; give it autorestart: false or "unexpected"`,
        });
      }
    }),
  );
  if (problems.length > 0) return problems;
  const cycle = findCycle(programs.map((p) => ({ name: p.name, dependsOn: p.dependsOn.map((d) => d.name) })));
  if (cycle) problems.push({ path: [index.get(cycle[0]!)!, 'dependsOn'], message: `dependency cycle: ${cycle.join(' -> ')}` });
  return problems;
}

/** A dependency cycle as the names along it (first repeated at the end), or undefined. */
export function findCycle(programs: { name: string; dependsOn: string[] }[]): string[] | undefined {
  const edges = new Map(programs.map((p) => [p.name, p.dependsOn]));
  const done = new Set<string>();
  const trail: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const at = trail.indexOf(name);
    if (at >= 0) return [...trail.slice(at), name];
    if (done.has(name)) return undefined;
    trail.push(name);
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    done.add(name);
    return undefined;
  };
  for (const name of edges.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

const MOUNT_OF_UNDECLARED_VOLUME = 'a volumeMounts entry names a volume that is not in spec.volumes';

type MountLike = { name: string; mountPath: string; readOnly?: boolean | undefined; subPath?: string | undefined; subPathExpr?: string | undefined };

/** What a mount is, besides where: two programs may share a mount path only if this is the same. */
export function mountSource(mount: MountLike): string {
  return JSON.stringify([mount.name, mount.subPath ?? '', mount.subPathExpr ?? '', mount.readOnly ?? false, (mount as { mountPropagation?: string }).mountPropagation ?? '']);
}

/**
 * Volume names used twice, mounts of undeclared volumes, and mount paths used twice: within one
 * program at all, across programs with a different source (the one container gets the union of
 * the programs' mounts, so the same mount in two programs is one mount).
 */
export function volumeProblems(spec: {
  volumes?: { name: string }[] | undefined;
  programs: { name: string; volumeMounts?: MountLike[] | undefined }[];
}): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const declared = new Set<string>();
  (spec.volumes ?? []).forEach((volume, j) => {
    if (declared.has(volume.name)) problems.push({ path: ['volumes', j, 'name'], message: `duplicate volume name "${volume.name}"` });
    declared.add(volume.name);
  });
  const byPath = new Map<string, { program: string; source: string }>();
  spec.programs.forEach((program, i) => {
    const own = new Set<string>();
    (program.volumeMounts ?? []).forEach((mount, m) => {
      const at = ['programs', i, 'volumeMounts', m];
      if (!declared.has(mount.name)) problems.push({ path: [...at, 'name'], message: `no volume named "${mount.name}" in spec.volumes` });
      if (own.has(mount.mountPath)) {
        problems.push({ path: [...at, 'mountPath'], message: `mount path "${mount.mountPath}" is mounted twice by this program` });
        return;
      }
      own.add(mount.mountPath);
      const holder = byPath.get(mount.mountPath);
      if (holder && holder.source !== mountSource(mount)) {
        problems.push({
          path: [...at, 'mountPath'],
          message: `mount path "${mount.mountPath}" is also mounted by program "${holder.program}" from another volume, subPath or mode`,
        });
      } else if (!holder) byPath.set(mount.mountPath, { program: program.name, source: mountSource(mount) });
    });
  });
  return problems;
}

export const CorePodSpec = z
  .strictObject({
    image: z.string().min(1).max(512).describe('Container image holding the programs.'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent').describe('Pull policy of the image.'),
    replicas: z.int().min(0).max(1000).default(1).describe('Number of pods.'),
    terminationGracePeriodSeconds: z.int().min(1).max(3600).default(30).describe('Deadline for the orderly stop of all programs when the pod (or corepod run) is told to stop.'),
    healthPort: port.default(8686).describe('Port of the sidecar-init health endpoint that the kubelet probes.'),
    resources: Resources.optional(),
    memory: ContainerMemory.prefault({}),
    alerts: Alerts.optional(),
    securityContext: PodSecurity.optional(),
    podDisruptionBudget: PodDisruptionBudget.optional(),
    podMetadata: PodMetadata.optional(),
    serviceAccount: ServiceAccountSettings.optional(),
    service: ServiceSettings.optional(),
    imagePullSecrets: coreV1('io.k8s.api.core.v1.PodSpec.imagePullSecrets', z.array(LOCAL_OBJECT_REFERENCE).max(64).optional()),
    nodeSelector: coreV1('io.k8s.api.core.v1.PodSpec.nodeSelector', z.record(z.string(), z.string()).optional()),
    tolerations: coreV1('io.k8s.api.core.v1.PodSpec.tolerations', z.array(z.looseObject({})).max(64).optional()),
    affinity: coreV1('io.k8s.api.core.v1.PodSpec.affinity', z.looseObject({}).optional()),
    topologySpreadConstraints: coreV1('io.k8s.api.core.v1.PodSpec.topologySpreadConstraints', z.array(z.looseObject({})).max(16).optional()),
    priorityClassName: coreV1('io.k8s.api.core.v1.PodSpec.priorityClassName', z.string().max(253).optional()),
    runtimeClassName: coreV1('io.k8s.api.core.v1.PodSpec.runtimeClassName', z.string().max(253).optional()),
    hostAliases: coreV1(
      'io.k8s.api.core.v1.PodSpec.hostAliases',
      z
        .array(z.looseObject({ ip: z.string() }))
        .max(64)
        .optional(),
    ),
    dnsPolicy: coreV1('io.k8s.api.core.v1.PodSpec.dnsPolicy', z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']).optional()),
    dnsConfig: coreV1('io.k8s.api.core.v1.PodSpec.dnsConfig', z.looseObject({}).optional()),
    volumes: coreV1('io.k8s.api.core.v1.PodSpec.volumes', z.array(Volume).max(MAX_VOLUMES).optional()),
    programs: z
      .array(Program)
      .min(1)
      .max(MAX_PROGRAMS)
      .meta({
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-validations': [{ rule: 'self.all(p, self.exists_one(q, q.name == p.name))', message: 'program names must be unique' }],
      })
      .describe('The programs to run, started by priority and dependsOn.'),
  })
  .superRefine(
    (spec, ctx) => {
      const processes = spec.programs.reduce((sum, program) => sum + (program.instances ?? 1), 0);
      if (processes > MAX_PROGRAMS) {
        ctx.addIssue({ code: 'custom', path: ['programs'], message: `the programs run ${processes} processes (instances included); at most ${MAX_PROGRAMS}` });
      }
    },
    { when: unlessIssuesIn('programs') },
  )
  .superRefine(
    (spec, ctx) => {
      for (const problem of dependencyProblems(spec.programs)) {
        ctx.addIssue({ code: 'custom', path: ['programs', ...problem.path], message: problem.message });
      }
    },
    { when: unlessIssuesIn('programs') },
  )
  .superRefine(
    (spec, ctx) => {
      if (!spec.securityContext) return;
      spec.programs.forEach((program, i) => {
        if (program.user !== undefined) ctx.addIssue({ code: 'custom', path: ['programs', i, 'user'], message: USER_NEEDS_ROOT });
      });
    },
    { when: unlessIssuesIn('programs', 'securityContext') },
  )
  .refine((spec) => spec.dnsPolicy !== 'None' || spec.dnsConfig !== undefined, {
    error: DNS_NONE_NEEDS_CONFIG,
    path: ['dnsConfig'],
    when: unlessIssuesIn('dnsPolicy', 'dnsConfig'),
  })
  .superRefine(
    (spec, ctx) => {
      for (const problem of volumeProblems(spec)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    },
    { when: unlessIssuesIn('programs', 'volumes') },
  )
  .meta({
    'x-kubernetes-validations': [
      { rule: '!has(self.securityContext) || self.programs.all(p, !has(p.user))', message: USER_NEEDS_ROOT, fieldPath: '.securityContext' },
      { rule: "!has(self.dnsPolicy) || self.dnsPolicy != 'None' || has(self.dnsConfig)", message: DNS_NONE_NEEDS_CONFIG, fieldPath: '.dnsConfig' },
      {
        rule: 'self.programs.all(p, !has(p.volumeMounts) || p.volumeMounts.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.name)))',
        message: MOUNT_OF_UNDECLARED_VOLUME,
        fieldPath: '.programs',
      },
    ],
  })
  .describe('Desired state of a CorePod.');

export const Condition = z
  .strictObject({
    type: z.string().max(316).describe('Type of the condition (Ready, Progressing, Degraded).'),
    status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition.'),
    reason: z
      .string()
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .max(1024)
      .describe('CamelCase reason for the last transition.'),
    message: z.string().max(32_768).default('').describe('Human-readable details.'),
    lastTransitionTime: z.string().describe('When the status last changed (RFC 3339).'),
    observedGeneration: z.int().min(0).optional().describe('Generation of the spec the condition was set for.'),
  })
  .describe('A condition per the Kubernetes API conventions.');

export const ProcessStatus = z
  .strictObject({
    name: z.string().describe('Program name.'),
    state: z.enum(PROCESS_STATES).describe('Supervisor state of the program.'),
    pid: z.int().optional().describe('Process id, while it runs.'),
    restarts: z.int().min(0).describe('Restarts since the pod started.'),
    lastExitCode: z.int().optional().describe('Exit code of the last exit.'),
    lastSignal: z.string().optional().describe('Signal that ended the last run.'),
    since: z.string().describe('Time of the last state change (RFC 3339).'),
    healthy: z.boolean().optional().describe('Result of the health check, if there is one.'),
    memoryBytes: z.int().optional().describe("Resident memory of the program's process tree."),
    probeLatencyMs: z.number().optional().describe('Latency of the last health probe in milliseconds.'),
    notifyStatus: z.string().max(1024).optional().describe('The last STATUS= the program sent over NOTIFY_SOCKET (notify).'),
    lastScheduleTime: z.string().optional().describe('When the last scheduled run was due (RFC 3339), whether it ran or was skipped.'),
    lastSuccessfulTime: z.string().optional().describe('When the last scheduled run that succeeded ended (RFC 3339).'),
    lastRunResult: z.enum(['Running', 'Succeeded', 'Failed', 'Skipped']).optional().describe('Outcome of the last scheduled run.'),
    nextScheduleTime: z.string().optional().describe('When the next scheduled run is due (RFC 3339).'),
    reason: z
      .string()
      .optional()
      .describe('Why the program waits to start (CamelCase): WaitingForDependencies, or DependencyFailed when a dependency will not reach its condition by itself.'),
    message: z.string().optional().describe('Details of reason: the dependencies waited for and what became of them.'),
  })
  .describe('State of one supervised process.');

export const HandledRequest = z
  .strictObject({
    id: z.string().max(64).describe('The id of the request.'),
    completedAt: z.string().describe('When this pod finished acting on it (RFC 3339).'),
    results: z
      .array(
        z.strictObject({
          name: z.string().describe('Program name.'),
          ok: z.boolean().describe('Whether the action succeeded for this program.'),
          state: z.string().describe('State of the program afterwards.'),
          pid: z.int().optional().describe('Its process id afterwards, while it runs.'),
          error: z.string().optional().describe('Why it failed (CamelCase or upper-case code, e.g. NOT_RUNNING, NO_SUCH_PROGRAM).'),
          message: z.string().max(1024).optional().describe('Details of the error.'),
        }),
      )
      .max(MAX_PROGRAMS)
      .describe('The outcome per program.'),
  })
  .describe('What one pod did with one program control request.');

export const PodStatus = z
  .strictObject({
    name: z.string().describe('Pod name.'),
    updated: z.string().describe('When the sidecar-init last reported (RFC 3339).'),
    generation: z.int().min(0).optional().describe('The CorePod metadata.generation whose spec this pod runs.'),
    conditions: z
      .array(z.lazy(() => Condition))
      .max(8)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Conditions of this pod: SpecApplied says whether the latest spec was applied in place, or why not.'),
    processes: z
      .array(ProcessStatus)
      .max(MAX_PROGRAMS)
      .default([])
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe('The processes of this pod.'),
    handledRequests: z
      .array(HandledRequest)
      .max(MAX_REQUESTS)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'] })
      .describe('The program control requests (annotation corepod.dreamscape.io/requests) this pod acted on, newest last.'),
  })
  .describe('Process states reported by one pod.');

export const CorePodStatus = z
  .strictObject({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('The oldest generation of the spec that a live pod runs (the current one once every pod runs it); the conditions say which generation the operator acted on.'),
    phase: z.enum(PHASES).optional().describe('Summary of the state: Pending, Starting, Running, Degraded or Failed.'),
    readyProcesses: z.string().optional().describe('Ready processes out of all, e.g. 3/3.'),
    restarts: z.int().min(0).optional().describe('Restarts of all processes in all pods.'),
    replicas: z.int().min(0).optional().describe("Pods of this CorePod that exist (the Deployment's status.replicas): the scale subresource's status."),
    selector: z.string().optional().describe('Label selector of the pods, for the scale subresource (kubectl scale, HorizontalPodAutoscaler).'),
    conditions: z
      .array(Condition)
      .max(16)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Ready, Progressing and Degraded.'),
    pods: z
      .array(PodStatus)
      .max(1000)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe('Per-pod process states, each written by that pod.'),
  })
  .describe('Observed state of a CorePod.');

export const ObjectMeta = z
  .object({
    name: z.string().regex(DNS_LABEL, { error: 'expected a DNS label' }).max(63),
    namespace: z.string().optional(),
  })
  .loose();

export const CorePod = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, { error: `expected ${API_VERSION}` }),
    kind: z.literal(KIND, { error: `expected ${KIND}` }),
    metadata: ObjectMeta,
    spec: CorePodSpec,
    status: CorePodStatus.optional(),
  })
  .describe('A container image and the programs that a sidecar-init supervises inside it.');

export type CorePodSpecInput = z.input<typeof CorePodSpec>;
export type CorePodSpec = z.output<typeof CorePodSpec>;
export type ProgramSpec = z.output<typeof Program>;
export type HealthCheckSpec = z.output<typeof HealthCheck>;
export type CorePodStatus = z.output<typeof CorePodStatus>;
export type ProcessStatus = z.output<typeof ProcessStatus>;
export type PodStatus = z.output<typeof PodStatus>;
export type Condition = z.output<typeof Condition>;
export type CorePod = z.output<typeof CorePod>;

export interface ValidationError {
  /** Dotted path from the document root, e.g. spec.programs[2].stopSignal */
  path: string;
  message: string;
}

/** Formats a zod issue path the way kubectl does: spec.programs[2].stopSignal */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    // A key a reader could not tell apart from the dots around it (empty, spaces, brackets, quotes,
    // control characters) is quoted: spec[""], spec.env["a b"].
    if (typeof key !== 'string' || key === '' || /[\s[\]"'\\\p{Cc}]/u.test(key)) return `${out}[${JSON.stringify(String(key))}]`;
    return out === '' ? key : `${out}.${key}`;
  }, '');
}

function issueErrors(issues: z.core.$ZodIssue[], prefix: PropertyKey[]): ValidationError[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // The one branch that matched the input's shape and failed inside it (an object with a bad
      // field) says more than the union's own message.
      const close = issue.errors.filter((branch) => branch.some((inner) => inner.path.length > 0));
      if (close.length === 1) return issueErrors(close[0]!, path);
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown field' }));
    }
    // An issue with the whole document (not an object at all) still names where it is.
    return [{ path: formatPath(path) || '(document)', message: issue.message }];
  });
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: ValidationError[] };

/** Validates a whole CorePod document; every error names its path from the root. */
export function validateCorePod(document: unknown): Validated<CorePod> {
  const result = CorePod.safeParse(document);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: issueErrors(result.error.issues, []) };
}

/** Validates a CorePod spec; paths start at "spec". */
export function validateSpec(spec: unknown): Validated<CorePodSpec> {
  const result = CorePodSpec.safeParse(spec);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: issueErrors(result.error.issues, ['spec']) };
}
