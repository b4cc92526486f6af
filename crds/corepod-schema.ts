// The CorePod API (dreamscape.io/v1alpha1): the one source of truth for the CRD
// (crds/corepod.yaml is generated from it), the operator's validation and the
// sidecar-init's config parsing.
import { z } from 'zod';

import { isTimeZone, nextRun, parseCron } from '../lib/cron.js';
import { API_VERSION, KIND } from './corepod-names.js';

export { API_VERSION, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './corepod-names.js';

export const MAX_PROGRAMS = 100;
export const MAX_DEPENDENCIES = 16;

export const STOP_SIGNALS = ['TERM', 'INT', 'QUIT', 'HUP', 'KILL', 'USR1', 'USR2'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export const PROCESS_STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL'] as const;
export type ProcessStateName = (typeof PROCESS_STATES)[number];

export const PHASES = ['Pending', 'Starting', 'Running', 'Degraded', 'Failed'] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
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
  .union([z.int().min(0), z.string().regex(QUANTITY, { error: 'expected a byte quantity such as 200Mi, 1Gi or 52428800' })], {
    error: 'expected a byte quantity such as 200Mi, 1Gi or 52428800',
  })
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

export const EnvVar = z
  .strictObject({
    name: z.string().regex(ENV_NAME, { error: 'expected an environment variable name' }).describe('Name of the variable.'),
    value: z.string().default('').describe('Value of the variable.'),
  })
  .describe('An environment variable for the program.');

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
    stdoutFile: z.string().startsWith('/').optional().describe('File to which stdout is written, rotated by size.'),
    stderrFile: z.string().startsWith('/').optional().describe('File to which stderr is written, rotated by size; it may equal stdoutFile.'),
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
    command: z.array(z.string()).min(1).max(256).describe('The program and its arguments (no shell).'),
    workingDir: z.string().startsWith('/').optional().describe('Working directory of the program.'),
    user: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('User (name or uid) to run the program as; needs the sidecar-init to run as root (no spec.securityContext) with CAP_SETUID and CAP_SETGID.'),
    env: z.array(EnvVar).max(256).default([]).describe('Environment variables added to the supervisor environment.'),
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
    lifecycle: Lifecycle.optional(),
    schedule: Schedule.optional(),
    healthCheck: HealthCheck.optional(),
    logs: ProgramLogs.prefault({}),
    memory: ProgramMemory.optional(),
    restartBudget: RestartBudget.prefault({}),
  })
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
  .meta({
    'x-kubernetes-validations': [{ rule: '!has(self.securityContext) || self.programs.all(p, !has(p.user))', message: USER_NEEDS_ROOT, fieldPath: '.securityContext' }],
  })
  .describe('Desired state of a CorePod.');

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

export const PodStatus = z
  .strictObject({
    name: z.string().describe('Pod name.'),
    updated: z.string().describe('When the sidecar-init last reported (RFC 3339).'),
    processes: z
      .array(ProcessStatus)
      .max(MAX_PROGRAMS)
      .default([])
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe('The processes of this pod.'),
  })
  .describe('Process states reported by one pod.');

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

export const CorePodStatus = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe('Generation of the spec the operator last acted on.'),
    phase: z.enum(PHASES).optional().describe('Summary of the state: Pending, Starting, Running, Degraded or Failed.'),
    readyProcesses: z.string().optional().describe('Ready processes out of all, e.g. 3/3.'),
    restarts: z.int().min(0).optional().describe('Restarts of all processes in all pods.'),
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
    return out === '' ? String(key) : `${out}.${String(key)}`;
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
    return [{ path: formatPath(path), message: issue.message }];
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
