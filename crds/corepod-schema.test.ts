import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USER_NEEDS_ROOT, validateCorePod, validateSpec, type ValidationError } from './corepod-schema.js';

type Doc = {
  apiVersion: unknown;
  kind: unknown;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown> & { programs: Record<string, unknown>[] };
  status?: unknown;
};

const valid = (): Doc => ({
  apiVersion: 'dreamscape.io/v1alpha1',
  kind: 'CorePod',
  metadata: { name: 'web' },
  spec: {
    image: 'nginx:1.27',
    programs: [
      { name: 'a', command: ['x'] },
      { name: 'b', command: ['y'] },
    ],
  },
});

const invalid: [string, (doc: Doc) => void, ValidationError[]][] = [
  [
    'wrong apiVersion',
    (d) => {
      d.apiVersion = 'v1';
    },
    [{ path: 'apiVersion', message: 'expected dreamscape.io/v1alpha1' }],
  ],
  [
    'wrong kind',
    (d) => {
      d.kind = 'Pod';
    },
    [{ path: 'kind', message: 'expected CorePod' }],
  ],
  [
    'name not a DNS label',
    (d) => {
      d.metadata.name = 'Web_1';
    },
    [{ path: 'metadata.name', message: 'expected a DNS label' }],
  ],
  [
    'image missing',
    (d) => {
      delete d.spec.image;
    },
    [{ path: 'spec.image', message: 'Invalid input: expected string, received undefined' }],
  ],
  [
    'negative replicas',
    (d) => {
      d.spec.replicas = -1;
    },
    [{ path: 'spec.replicas', message: 'Too small: expected number to be >=0' }],
  ],
  [
    'fractional replicas',
    (d) => {
      d.spec.replicas = 1.5;
    },
    [{ path: 'spec.replicas', message: 'Invalid input: expected int, received number' }],
  ],
  [
    'unknown pull policy',
    (d) => {
      d.spec.imagePullPolicy = 'Sometimes';
    },
    [{ path: 'spec.imagePullPolicy', message: 'Invalid option: expected one of "Always"|"IfNotPresent"|"Never"' }],
  ],
  [
    'health port out of range',
    (d) => {
      d.spec.healthPort = 70000;
    },
    [{ path: 'spec.healthPort', message: 'Too big: expected number to be <=65535' }],
  ],
  [
    'no programs',
    (d) => {
      d.spec.programs = [];
    },
    [{ path: 'spec.programs', message: 'Too small: expected array to have >=1 items' }],
  ],
  [
    'upper-case program name',
    (d) => {
      d.spec.programs[1]!.name = 'B';
    },
    [{ path: 'spec.programs[1].name', message: 'expected a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit' }],
  ],
  [
    'empty command',
    (d) => {
      d.spec.programs[0]!.command = [];
    },
    [{ path: 'spec.programs[0].command', message: 'Too small: expected array to have >=1 items' }],
  ],
  [
    'stop signal with SIG prefix',
    (d) => {
      d.spec.programs[1]!.stopSignal = 'SIGTERM';
    },
    [{ path: 'spec.programs[1].stopSignal', message: 'expected one of TERM, INT, QUIT, HUP, KILL, USR1, USR2' }],
  ],
  [
    'autorestart neither boolean nor "unexpected"',
    (d) => {
      d.spec.programs[0]!.autorestart = 'sometimes';
    },
    [{ path: 'spec.programs[0].autorestart', message: 'expected true, false or "unexpected"' }],
  ],
  [
    'exit code above 255',
    (d) => {
      d.spec.programs[0]!.exitCodes = [0, 256];
    },
    [{ path: 'spec.programs[0].exitCodes[1]', message: 'Too big: expected number to be <=255' }],
  ],
  [
    'duplicate program name',
    (d) => {
      d.spec.programs[1]!.name = 'a';
    },
    [{ path: 'spec.programs[1].name', message: 'duplicate program name "a"' }],
  ],
  [
    'program depends on itself',
    (d) => {
      d.spec.programs[0]!.dependsOn = ['a'];
    },
    [{ path: 'spec.programs[0].dependsOn[0]', message: 'a program cannot depend on itself' }],
  ],
  [
    'dependency on a missing program',
    (d) => {
      d.spec.programs[1]!.dependsOn = ['c'];
    },
    [{ path: 'spec.programs[1].dependsOn[0]', message: 'no program named "c"' }],
  ],
  [
    'dependency cycle',
    (d) => {
      d.spec.programs[0]!.dependsOn = ['b'];
      d.spec.programs[1]!.dependsOn = ['a'];
    },
    [{ path: 'spec.programs[0].dependsOn', message: 'dependency cycle: a -> b -> a' }],
  ],
  [
    'unknown program field',
    (d) => {
      d.spec.programs[0]!.restartPolicy = 'Always';
    },
    [{ path: 'spec.programs[0].restartPolicy', message: 'unknown field' }],
  ],
  [
    'unknown spec field',
    (d) => {
      d.spec.foo = 1;
    },
    [{ path: 'spec.foo', message: 'unknown field' }],
  ],
  [
    'health check without a probe',
    (d) => {
      d.spec.programs[0]!.healthCheck = { periodSeconds: 5 };
    },
    [{ path: 'spec.programs[0].healthCheck', message: 'exactly one of httpGet, tcpSocket or exec must be set' }],
  ],
  [
    'health check with two probes',
    (d) => {
      d.spec.programs[0]!.healthCheck = { httpGet: { port: 80 }, tcpSocket: { port: 80 } };
    },
    [{ path: 'spec.programs[0].healthCheck', message: 'exactly one of httpGet, tcpSocket or exec must be set' }],
  ],
  [
    'relative health path',
    (d) => {
      d.spec.programs[0]!.healthCheck = { httpGet: { port: 80, path: 'health' } };
    },
    [{ path: 'spec.programs[0].healthCheck.httpGet.path', message: 'Invalid string: must start with "/"' }],
  ],
  [
    'memory limit in MB',
    (d) => {
      d.spec.programs[1]!.memory = { limit: '200MB' };
    },
    [{ path: 'spec.programs[1].memory.limit', message: 'expected a byte quantity such as 200Mi, 1Gi or 52428800' }],
  ],
  [
    'unknown memory action',
    (d) => {
      d.spec.programs[1]!.memory = { limit: '200Mi', action: 'kill' };
    },
    [{ path: 'spec.programs[1].memory.action', message: 'Invalid option: expected one of "alert"|"restart"' }],
  ],
  [
    'warning above critical',
    (d) => {
      d.spec.memory = { warningPercent: 95, criticalPercent: 90 };
    },
    [{ path: 'spec.memory.warningPercent', message: 'warningPercent must be below criticalPercent' }],
  ],
  [
    'env name starting with a digit',
    (d) => {
      d.spec.programs[0]!.env = [{ name: '1X', value: 'y' }];
    },
    [{ path: 'spec.programs[0].env[0].name', message: 'expected an environment variable name' }],
  ],
  [
    'port 0',
    (d) => {
      d.spec.programs[0]!.ports = [{ containerPort: 0 }];
    },
    [{ path: 'spec.programs[0].ports[0].containerPort', message: 'Too small: expected number to be >=1' }],
  ],
  [
    'port name too long',
    (d) => {
      d.spec.programs[0]!.ports = [{ containerPort: 80, name: 'a-very-long-port-name' }];
    },
    [{ path: 'spec.programs[0].ports[0].name', message: 'Too big: expected string to have <=15 characters' }],
  ],
  [
    'relative working dir',
    (d) => {
      d.spec.programs[0]!.workingDir = 'app';
    },
    [{ path: 'spec.programs[0].workingDir', message: 'expected an absolute path (or one starting with a $(VAR_NAME) reference)' }],
  ],
  [
    'alerts without a token secret',
    (d) => {
      d.spec.alerts = { github: { owner: 'o', repo: 'r' } };
    },
    [{ path: 'spec.alerts.github.tokenSecretRef', message: 'Invalid input: expected object, received undefined' }],
  ],
  [
    'grace period 0',
    (d) => {
      d.spec.terminationGracePeriodSeconds = 0;
    },
    [{ path: 'spec.terminationGracePeriodSeconds', message: 'Too small: expected number to be >=1' }],
  ],
  [
    'unknown phase in status',
    (d) => {
      d.status = { phase: 'Sleeping' };
    },
    [{ path: 'status.phase', message: 'Invalid option: expected one of "Pending"|"Starting"|"Running"|"Degraded"|"Failed"' }],
  ],
  [
    'condition reason with spaces',
    (d) => {
      d.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'all good', lastTransitionTime: 't' }] };
    },
    [{ path: 'status.conditions[0].reason', message: 'Invalid string: must match pattern /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/' }],
  ],
  [
    'a program switching user in a non-root pod',
    (d) => {
      d.spec.securityContext = { runAsUser: 65532 };
      d.spec.programs[1]!.user = 'nobody';
    },
    [{ path: 'spec.programs[1].user', message: USER_NEEDS_ROOT }],
  ],
  [
    'runAsUser 0 (root)',
    (d) => {
      d.spec.securityContext = { runAsUser: 0 };
    },
    [{ path: 'spec.securityContext.runAsUser', message: 'expected a non-root uid (1 or more); leave securityContext out to run as root' }],
  ],
  [
    'securityContext without runAsUser',
    (d) => {
      d.spec.securityContext = { fsGroup: 65532 };
    },
    [{ path: 'spec.securityContext.runAsUser', message: 'Invalid input: expected number, received undefined' }],
  ],
  [
    'a securityContext field the operator does not set',
    (d) => {
      d.spec.securityContext = { runAsUser: 1000, privileged: true };
    },
    [{ path: 'spec.securityContext.privileged', message: 'unknown field' }],
  ],
  [
    'negative fsGroup',
    (d) => {
      d.spec.securityContext = { runAsUser: 1000, fsGroup: -1 };
    },
    [{ path: 'spec.securityContext.fsGroup', message: 'Too small: expected number to be >=0' }],
  ],
  [
    'user and non-root pod reported alongside field errors',
    (d) => {
      d.spec.securityContext = { runAsUser: 1 };
      d.spec.programs[0]!.user = 'www';
      d.spec.programs[1]!.user = '33';
      d.spec.replicas = -1;
    },
    [
      { path: 'spec.replicas', message: 'Too small: expected number to be >=0' },
      { path: 'spec.programs[0].user', message: USER_NEEDS_ROOT },
      { path: 'spec.programs[1].user', message: USER_NEEDS_ROOT },
    ],
  ],
  [
    'unknown backoff policy',
    (d) => {
      d.spec.programs[0]!.backoff = { policy: 'fibonacci' };
    },
    [{ path: 'spec.programs[0].backoff.policy', message: 'expected one of linear, exponential' }],
  ],
  [
    'backoff maxSeconds below initialSeconds',
    (d) => {
      d.spec.programs[1]!.backoff = { policy: 'exponential', initialSeconds: 10, maxSeconds: 5 };
    },
    [{ path: 'spec.programs[1].backoff.maxSeconds', message: 'maxSeconds must not be below initialSeconds' }],
  ],
  [
    'restartPreventExitCodes out of range',
    (d) => {
      d.spec.programs[0]!.restartPreventExitCodes = [1, 256];
    },
    [{ path: 'spec.programs[0].restartPreventExitCodes[1]', message: 'Too big: expected number to be <=255' }],
  ],
  [
    'unknown dependency condition',
    (d) => {
      d.spec.programs[1]!.dependsOn = [{ name: 'a', condition: 'Healthy' }];
    },
    [{ path: 'spec.programs[1].dependsOn[0].condition', message: 'expected one of Started, Ready, Completed, CompletedSuccessfully' }],
  ],
  [
    'dependency neither a name nor an object',
    (d) => {
      d.spec.programs[1]!.dependsOn = [7];
    },
    [{ path: 'spec.programs[1].dependsOn[0]', message: 'expected a program name or {name, condition}' }],
  ],
  [
    'dependency object naming a missing program',
    (d) => {
      d.spec.programs[1]!.dependsOn = [{ name: 'ghost', condition: 'Started' }];
    },
    [{ path: 'spec.programs[1].dependsOn[0]', message: 'no program named "ghost"' }],
  ],
  [
    'Completed dependency on a program that restarts forever',
    (d) => {
      d.spec.programs[1]!.dependsOn = ['a', { name: 'a', condition: 'Completed' }];
    },
    [
      {
        path: 'spec.programs[1].dependsOn[1].condition',
        message: '"a" is restarted whenever it exits (autorestart: true), so it never completes; give it autorestart: false or "unexpected"',
      },
    ],
  ],
  [
    'unknown onDependencyFailure',
    (d) => {
      d.spec.programs[1]!.onDependencyFailure = 'ignore';
    },
    [{ path: 'spec.programs[1].onDependencyFailure', message: 'expected restart or stop' }],
  ],
  [
    'notifyFd below 3',
    (d) => {
      d.spec.programs[0]!.notifyFd = 2;
    },
    [{ path: 'spec.programs[0].notifyFd', message: 'expected a file descriptor of 3 or more (0, 1 and 2 are stdin, stdout and stderr)' }],
  ],
  [
    'notify and notifyFd together',
    (d) => {
      d.spec.programs[0]!.notify = true;
      d.spec.programs[0]!.notifyFd = 3;
    },
    [{ path: 'spec.programs[0].notifyFd', message: 'notify and notifyFd exclude each other: a program says it is ready one way' }],
  ],
  [
    'watchdogSeconds without notify',
    (d) => {
      d.spec.programs[1]!.watchdogSeconds = 10;
    },
    [{ path: 'spec.programs[1].watchdogSeconds', message: 'watchdogSeconds needs notify: true (WATCHDOG=1 comes over NOTIFY_SOCKET)' }],
  ],
  [
    'lifecycle hook with both exec and httpGet',
    (d) => {
      d.spec.programs[0]!.lifecycle = { preStop: { exec: { command: ['drain'] }, httpGet: { port: 80 } } };
    },
    [{ path: 'spec.programs[0].lifecycle.preStop', message: 'exactly one of exec or httpGet must be set' }],
  ],
  [
    'lifecycle hook with neither',
    (d) => {
      d.spec.programs[1]!.lifecycle = { postStart: {} };
    },
    [{ path: 'spec.programs[1].lifecycle.postStart', message: 'exactly one of exec or httpGet must be set' }],
  ],
  [
    'invalid cron expression',
    (d) => {
      d.spec.programs[0]!.autorestart = false;
      d.spec.programs[0]!.schedule = { cron: '*/5 * * *' };
    },
    [{ path: 'spec.programs[0].schedule.cron', message: 'not a cron expression: expected 5 fields (minute hour day-of-month month day-of-week), got 4' }],
  ],
  [
    'cron expression that never runs',
    (d) => {
      d.spec.programs[0]!.autorestart = false;
      d.spec.programs[0]!.schedule = { cron: '0 0 30 2 *' };
    },
    [{ path: 'spec.programs[0].schedule.cron', message: 'this schedule never runs' }],
  ],
  [
    'unknown time zone',
    (d) => {
      d.spec.programs[0]!.autorestart = false;
      d.spec.programs[0]!.schedule = { cron: '@daily', timeZone: 'Europe/Atlantis' };
    },
    [{ path: 'spec.programs[0].schedule.timeZone', message: 'not a time zone known to the IANA database, e.g. Europe/Paris or UTC' }],
  ],
  [
    'unknown concurrencyPolicy',
    (d) => {
      d.spec.programs[0]!.autorestart = false;
      d.spec.programs[0]!.schedule = { cron: '@daily', concurrencyPolicy: 'Overlap' };
    },
    [{ path: 'spec.programs[0].schedule.concurrencyPolicy', message: 'expected one of Forbid, Allow, Replace' }],
  ],
  [
    'scheduled program that restarts forever',
    (d) => {
      d.spec.programs[1]!.schedule = { cron: '@hourly' };
    },
    [{ path: 'spec.programs[1].schedule', message: 'a scheduled program runs once per schedule: give it autorestart: false or "unexpected"' }],
  ],
  [
    'cross-field errors reported alongside field errors',
    (d) => {
      delete d.spec.image;
      d.spec.programs[1]!.dependsOn = ['nope'];
    },
    [
      { path: 'spec.image', message: 'Invalid input: expected string, received undefined' },
      { path: 'spec.programs[1].dependsOn[0]', message: 'no program named "nope"' },
    ],
  ],
  [
    'env name repeated in one program',
    (d) => {
      d.spec.programs[1]!.env = [{ name: 'A', value: '1' }, { name: 'B' }, { name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
    },
    [{ path: 'spec.programs[1].env[2]', message: 'duplicate environment variable "A"' }],
  ],
  [
    'valueFrom with two sources',
    (d) => {
      d.spec.programs[0]!.env = [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } } }];
    },
    [{ path: 'spec.programs[0].env[0].valueFrom', message: 'exactly one of secretKeyRef, configMapKeyRef, fieldRef or resourceFieldRef must be set' }],
  ],
  [
    'value and valueFrom',
    (d) => {
      d.spec.programs[0]!.env = [{ name: 'K', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
    },
    [{ path: 'spec.programs[0].env[0].value', message: 'value must be empty when valueFrom is set' }],
  ],
  [
    'secretKeyRef without a key',
    (d) => {
      d.spec.programs[0]!.env = [{ name: 'K', valueFrom: { secretKeyRef: { name: 's' } } }];
    },
    [{ path: 'spec.programs[0].env[0].valueFrom.secretKeyRef.key', message: 'Invalid input: expected string, received undefined' }],
  ],
  [
    'fieldRef to a field the downward API has not',
    (d) => {
      d.spec.programs[0]!.env = [{ name: 'K', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }];
    },
    [
      {
        path: 'spec.programs[0].env[0].valueFrom.fieldRef.fieldPath',
        message:
          'expected metadata.name, metadata.namespace, metadata.uid, metadata.labels[...], metadata.annotations[...], spec.nodeName, spec.serviceAccountName or status.hostIP(s)/podIP(s)',
      },
    ],
  ],
  [
    'unknown field in a secretKeyRef',
    (d) => {
      d.spec.programs[0]!.env = [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k', namespace: 'other' } } }];
    },
    [{ path: 'spec.programs[0].env[0].valueFrom.secretKeyRef.namespace', message: 'unknown field' }],
  ],
  [
    'envFrom with a Secret and a ConfigMap',
    (d) => {
      d.spec.programs[0]!.envFrom = [{ secretRef: { name: 's' }, configMapRef: { name: 'c' } }];
    },
    [{ path: 'spec.programs[0].envFrom[0]', message: 'exactly one of secretRef or configMapRef must be set' }],
  ],
  [
    'envFrom Secret name not a DNS subdomain',
    (d) => {
      d.spec.programs[0]!.envFrom = [{ secretRef: { name: 'My_Secret' } }];
    },
    [{ path: 'spec.programs[0].envFrom[0].secretRef.name', message: 'expected the name of a Secret' }],
  ],
  [
    'volume name used twice',
    (d) => {
      d.spec.volumes = [
        { name: 'data', emptyDir: {} },
        { name: 'data', secret: { secretName: 's' } },
      ];
    },
    [{ path: 'spec.volumes[1].name', message: 'duplicate volume name "data"' }],
  ],
  [
    "a volume named like one of the operator's",
    (d) => {
      d.spec.volumes = [{ name: 'corepod-config', emptyDir: {} }];
    },
    [{ path: 'spec.volumes[0].name', message: "volume names corepod-runtime, corepod-config, corepod-token are the operator's own" }],
  ],
  [
    'mount of an undeclared volume',
    (d) => {
      d.spec.volumes = [{ name: 'data', emptyDir: {} }];
      d.spec.programs[1]!.volumeMounts = [{ name: 'cache', mountPath: '/cache' }];
    },
    [{ path: 'spec.programs[1].volumeMounts[0].name', message: 'no volume named "cache" in spec.volumes' }],
  ],
  [
    'mount path used twice in one program',
    (d) => {
      d.spec.volumes = [{ name: 'data', emptyDir: {} }];
      d.spec.programs[0]!.volumeMounts = [
        { name: 'data', mountPath: '/data' },
        { name: 'data', mountPath: '/data', subPath: 'x' },
      ];
    },
    [{ path: 'spec.programs[0].volumeMounts[1].mountPath', message: 'mount path "/data" is mounted twice by this program' }],
  ],
  [
    'mount path shared by two programs from different sources',
    (d) => {
      d.spec.volumes = [
        { name: 'data', emptyDir: {} },
        { name: 'tls', secret: { secretName: 'tls' } },
      ];
      d.spec.programs[0]!.volumeMounts = [{ name: 'data', mountPath: '/srv' }];
      d.spec.programs[1]!.volumeMounts = [{ name: 'tls', mountPath: '/srv' }];
    },
    [{ path: 'spec.programs[1].volumeMounts[0].mountPath', message: 'mount path "/srv" is also mounted by program "a" from another volume, subPath or mode' }],
  ],
  [
    "mount under one of the operator's paths",
    (d) => {
      d.spec.volumes = [{ name: 'data', emptyDir: {} }];
      d.spec.programs[0]!.volumeMounts = [{ name: 'data', mountPath: '/etc/corepod/extra' }];
    },
    [
      {
        path: 'spec.programs[0].volumeMounts[0].mountPath',
        message: "/corepod, /etc/corepod, /var/run/secrets/kubernetes.io/serviceaccount and what is under them are the operator's own mount paths",
      },
    ],
  ],
  [
    'relative mount path',
    (d) => {
      d.spec.volumes = [{ name: 'data', emptyDir: {} }];
      d.spec.programs[0]!.volumeMounts = [{ name: 'data', mountPath: 'data' }];
    },
    [{ path: 'spec.programs[0].volumeMounts[0].mountPath', message: 'expected an absolute path' }],
  ],
  [
    'a disruption budget with both minAvailable and maxUnavailable',
    (d) => {
      d.spec.podDisruptionBudget = { minAvailable: 1, maxUnavailable: 1 };
    },
    [{ path: 'spec.podDisruptionBudget', message: 'exactly one of minAvailable or maxUnavailable must be set' }],
  ],
  [
    'a disruption budget of "half"',
    (d) => {
      d.spec.podDisruptionBudget = { maxUnavailable: 'half' };
    },
    [{ path: 'spec.podDisruptionBudget.maxUnavailable', message: 'expected a number of pods or a percentage such as 50%' }],
  ],
  [
    "a pod label that is one of the operator's selector labels",
    (d) => {
      d.spec.podMetadata = { labels: { team: 'a', 'app.kubernetes.io/instance': 'other' } };
    },
    [{ path: 'spec.podMetadata.labels', message: "app.kubernetes.io/name, app.kubernetes.io/instance, app.kubernetes.io/managed-by are the operator's own pod labels" }],
  ],
  [
    'an ExternalName Service',
    (d) => {
      d.spec.service = { type: 'ExternalName' };
    },
    [{ path: 'spec.service.type', message: 'Invalid option: expected one of "ClusterIP"|"NodePort"|"LoadBalancer"' }],
  ],
  [
    'a Pod field the CorePod does not take',
    (d) => {
      d.spec.hostNetwork = true;
    },
    [{ path: 'spec.hostNetwork', message: 'unknown field' }],
  ],
  [
    'unknown field in the Service settings',
    (d) => {
      d.spec.service = { clusterIP: 'None' };
    },
    [{ path: 'spec.service.clusterIP', message: 'unknown field' }],
  ],
  [
    'externalTrafficPolicy on a ClusterIP Service',
    (d) => {
      d.spec.service = { externalTrafficPolicy: 'Local' };
    },
    [{ path: 'spec.service.externalTrafficPolicy', message: 'externalTrafficPolicy needs type NodePort or LoadBalancer' }],
  ],
  [
    'loadBalancerClass on a NodePort Service',
    (d) => {
      d.spec.service = { type: 'NodePort', loadBalancerClass: 'example.com/lb' };
    },
    [{ path: 'spec.service.loadBalancerClass', message: 'loadBalancerClass needs type LoadBalancer' }],
  ],
  [
    'dnsPolicy None without dnsConfig',
    (d) => {
      d.spec.dnsPolicy = 'None';
    },
    [{ path: 'spec.dnsConfig', message: 'dnsPolicy None needs dnsConfig' }],
  ],
];

for (const [name, mutate, expected] of invalid) {
  test(`rejects: ${name}`, () => {
    const doc = valid();
    mutate(doc);
    const result = validateCorePod(doc);
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.errors, expected);
  });
}

test('there are at least 20 distinct invalid cases', () => {
  assert.ok(new Set(invalid.map(([, , e]) => e[0]!.path + e[0]!.message)).size >= 20);
});

test('defaults fill every optional field', () => {
  const result = validateCorePod(valid());
  assert.ok(result.ok);
  const { spec } = result.value;
  assert.deepEqual(
    { ...spec, programs: undefined },
    {
      image: 'nginx:1.27',
      imagePullPolicy: 'IfNotPresent',
      replicas: 1,
      terminationGracePeriodSeconds: 30,
      healthPort: 8686,
      memory: { warningPercent: 85, criticalPercent: 95, action: 'alert' },
      programs: undefined,
    },
  );
  assert.deepEqual(spec.programs[0], {
    name: 'a',
    command: ['x'],
    env: [],
    autostart: true,
    autorestart: true,
    exitCodes: [0],
    priority: 999,
    startSeconds: 1,
    startRetries: 3,
    stopSignal: 'TERM',
    stopWaitSeconds: 10,
    critical: false,
    backoff: { policy: 'linear', initialSeconds: 1, resetAfterSeconds: 0 },
    restartPreventExitCodes: [],
    exitContainerOnExit: false,
    dependsOn: [],
    notify: false,
    startTimeoutSeconds: 90,
    ports: [],
    logs: { mirror: true, maxBytes: '50Mi', backups: 10 },
    restartBudget: { maxRestarts: 5, windowSeconds: 60 },
  });
});

test('nested defaults: health check, env value, port protocol', () => {
  const result = validateSpec({
    image: 'i',
    programs: [{ name: 'a', command: ['x'], env: [{ name: 'A' }], ports: [{ containerPort: 80 }], healthCheck: { httpGet: { port: 80 } } }],
  });
  assert.ok(result.ok);
  const program = result.value.programs[0]!;
  assert.deepEqual(program.env, [{ name: 'A', value: '' }]);
  assert.deepEqual(program.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(program.healthCheck, {
    httpGet: { path: '/', port: 80, host: '127.0.0.1' },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    failureThreshold: 3,
    required: true,
  });
});

test('dependsOn: a bare name means Ready; objects keep their condition (Ready by default); oneshots may be Completed dependencies', () => {
  const result = validateSpec({
    image: 'i',
    programs: [
      { name: 'migrate', command: ['m'], autorestart: false },
      { name: 'seed', command: ['s'], autorestart: 'unexpected' },
      { name: 'db', command: ['d'] },
      {
        name: 'web',
        command: ['w'],
        onDependencyFailure: 'restart',
        dependsOn: ['db', { name: 'db', condition: 'Started' }, { name: 'migrate', condition: 'CompletedSuccessfully' }, { name: 'seed', condition: 'Completed' }, { name: 'db' }],
      },
    ],
  });
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.value.programs[3]!.dependsOn, [
    { name: 'db', condition: 'Ready' },
    { name: 'db', condition: 'Started' },
    { name: 'migrate', condition: 'CompletedSuccessfully' },
    { name: 'seed', condition: 'Completed' },
    { name: 'db', condition: 'Ready' },
  ]);
  assert.equal(result.value.programs[3]!.onDependencyFailure, 'restart');
  // The validated spec (what the operator puts in the ConfigMap) validates again to itself.
  const again = validateSpec(result.value);
  assert.ok(again.ok);
  assert.deepEqual(again.value, result.value);
});

test('autorestart accepts true, false and "unexpected"', () => {
  for (const value of [true, false, 'unexpected']) {
    const result = validateSpec({ image: 'i', programs: [{ name: 'a', command: ['x'], autorestart: value }] });
    assert.ok(result.ok);
    assert.equal(result.value.programs[0]!.autorestart, value);
  }
});

test('a non-root pod: runAsUser alone, runAsGroup and fsGroup only where given; user switching stays valid for root pods', () => {
  const result = validateSpec({ image: 'i', securityContext: { runAsUser: 65532 }, programs: [{ name: 'a', command: ['x'] }] });
  assert.ok(result.ok);
  assert.deepEqual(result.value.securityContext, { runAsUser: 65532 });
  const full = validateSpec({ image: 'i', securityContext: { runAsUser: 1000, runAsGroup: 0, fsGroup: 2000 }, programs: [{ name: 'a', command: ['x'] }] });
  assert.ok(full.ok);
  assert.deepEqual(full.value.securityContext, { runAsUser: 1000, runAsGroup: 0, fsGroup: 2000 });
  assert.ok(validateSpec({ image: 'i', programs: [{ name: 'a', command: ['x'], user: 'nobody' }] }).ok);
});

test('env from Kubernetes sources keeps the core/v1 shapes', () => {
  const doc = valid();
  doc.spec.programs[0]!.env = [
    { name: 'KEY', valueFrom: { secretKeyRef: { name: 'api.keys', key: 'signing', optional: true } } },
    { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
    { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
  ];
  doc.spec.programs[0]!.envFrom = [{ secretRef: { name: 'db' } }, { prefix: 'CFG_', configMapRef: { name: 'settings', optional: false } }];
  const result = validateCorePod(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const program = result.value.spec.programs[0]!;
  assert.deepEqual(program.env[0], { name: 'KEY', value: '', valueFrom: { secretKeyRef: { name: 'api.keys', key: 'signing', optional: true } } });
  assert.deepEqual(program.envFrom, doc.spec.programs[0]!.envFrom);
  assert.equal(result.value.spec.programs[1]!.envFrom, undefined, 'no default: existing CorePods keep their config hash');
});

test('volumes pass through as core/v1 objects; two programs may share one mount', () => {
  const doc = valid();
  doc.spec.volumes = [
    { name: 'tls', secret: { secretName: 'nginx-tls', defaultMode: 0o440 } },
    { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
  ];
  doc.spec.programs[0]!.volumeMounts = [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }];
  doc.spec.programs[1]!.volumeMounts = [
    { name: 'tls', mountPath: '/etc/tls', readOnly: true },
    { name: 'data', mountPath: '/var/lib/app', subPath: 'b', mountPropagation: 'None' },
  ];
  const result = validateCorePod(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(result.value.spec.volumes, doc.spec.volumes);
  assert.deepEqual(result.value.spec.programs[1]!.volumeMounts, doc.spec.programs[1]!.volumeMounts);
});
