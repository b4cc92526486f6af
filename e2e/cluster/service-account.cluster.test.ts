// A pod reaches the API through the `kubernetes` Service (kube-proxy) with its projected,
// pod-bound ServiceAccount token: RBAC allows what its Role grants and denies the rest.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from './cluster.js';
import { createNamespace, waitFor } from '../support/cluster-env.js';
import { loadCurlImage } from './test-support.js';

let namespace: { name: string; remove: () => Promise<void> };
let image: string;

before(async () => {
  image = await loadCurlImage();
  namespace = await createNamespace('smoke-sa', { wait: true });
});
after(async () => namespace?.remove());

// Prints one `name=<HTTP status>` line per request, then the bodies as JSON lines.
const script = String.raw`
set -u
sa=/var/run/secrets/kubernetes.io/serviceaccount
api="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
ns=$(cat $sa/namespace)
call() { # name method path [body]
  code=$(curl -sS -o /tmp/$1 -w '%{http_code}' --cacert $sa/ca.crt -H "Authorization: Bearer $(cat $sa/token)" \
    -H 'Content-Type: application/json' -X "$2" "$api$3" $([ $# -gt 3 ] && printf -- '--data %s' "$4"))
  echo "$1=$code"
}
call allowed GET /api/v1/namespaces/$ns/configmaps/visible
call denied GET /api/v1/namespaces/$ns/secrets
call whoami POST /apis/authentication.k8s.io/v1/selfsubjectreviews '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
for f in allowed denied whoami; do printf 'body-%s=' $f; tr -d '\n' < /tmp/$f; echo; done
`;

test('a pod authenticates with its projected token and gets exactly what its Role allows', async () => {
  const ns = namespace.name;
  const objects = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-configmaps', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader-reads-configmaps', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'visible', namespace: ns }, data: { greeting: 'hello' } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: ns },
      spec: {
        serviceAccountName: 'reader',
        restartPolicy: 'Never',
        containers: [{ name: 'client', image, imagePullPolicy: 'Never', command: ['/bin/bash', '-c', script] }],
      },
    },
  ];
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });

  const phase = await waitFor(
    'the client pod to finish',
    async () => {
      const { stdout } = await kubectl(['get', 'pod', '-n', ns, 'client', '-o', 'jsonpath={.status.phase}']);
      return stdout === 'Succeeded' || stdout === 'Failed' ? stdout : undefined;
    },
    180_000,
  );
  const { stdout: log } = await kubectl(['logs', '-n', ns, 'client']);
  assert.equal(phase, 'Succeeded', log);
  const lines = new Map(
    log
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  // The token is a projected volume the API server mints for this pod (not a legacy Secret).
  const { stdout: podJson } = await kubectl(['get', 'pod', '-n', ns, 'client', '-o', 'json']);
  const pod = JSON.parse(podJson) as { metadata: { uid: string }; spec: { volumes: { projected?: { sources: { serviceAccountToken?: unknown }[] } }[] } };
  assert.ok(
    pod.spec.volumes.some((v) => v.projected?.sources.some((s) => s.serviceAccountToken)),
    'projected token volume',
  );

  assert.equal(lines.get('whoami'), '201', log);
  const review = JSON.parse(lines.get('body-whoami')!) as { status: { userInfo: { username: string; extra?: Record<string, string[]> } } };
  assert.equal(review.status.userInfo.username, `system:serviceaccount:${ns}:reader`);
  assert.deepEqual(review.status.userInfo.extra?.['authentication.kubernetes.io/pod-name'], ['client']);
  assert.deepEqual(review.status.userInfo.extra?.['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);

  assert.equal(lines.get('allowed'), '200', log);
  const configMap = JSON.parse(lines.get('body-allowed')!) as { data: Record<string, string> };
  assert.deepEqual(configMap.data, { greeting: 'hello' });

  assert.equal(lines.get('denied'), '403', log);
  const status = JSON.parse(lines.get('body-denied')!) as { reason: string; message: string };
  assert.equal(status.reason, 'Forbidden');
  assert.match(status.message, new RegExp(`User "system:serviceaccount:${ns}:reader" cannot list resource "secrets"`));
});
