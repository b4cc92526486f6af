import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { connect, kubeconfigNamespace, parseKubeconfig } from './kubeconfig.js';
import { inClusterConnection } from './token-connection.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'corepod-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const kubeconfig = (
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from('CA').toString('base64') },
) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'c',
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    clusters: [{ name: 'k', cluster }],
    users: [{ name: 'u', user }],
  });

test('client certificates from data fields', () => {
  const connection = parseKubeconfig(
    kubeconfig({ 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') }),
    '/',
  );
  assert.notEqual(connection, 'client-node');
  if (connection === 'client-node') return;
  assert.equal(connection.via, 'kubeconfig');
  assert.equal(connection.server.href, 'https://127.0.0.1:6443/');
  assert.equal(String(connection.tls.ca), 'CA');
  assert.equal(String(connection.tls.cert), 'CERT');
  assert.equal(String(connection.tls.key), 'KEY');
});

test('relative file paths resolve against the kubeconfig folder; a token file becomes a bearer header', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'ca.pem'), 'FILE-CA');
  writeFileSync(path.join(dir, 'token'), 'abc\n');
  const file = path.join(dir, 'config');
  writeFileSync(file, kubeconfig({ tokenFile: 'token' }, { server: 'https://example.invalid:443', 'certificate-authority': 'ca.pem', 'tls-server-name': 'kubernetes' }));
  const connection = await connect({ kubeconfig: file });
  assert.equal(connection.via, 'kubeconfig');
  assert.equal(String(connection.tls.ca), 'FILE-CA');
  assert.equal(connection.tls.servername, 'kubernetes');
  assert.deepEqual(await connection.headers(), { Authorization: 'Bearer abc' });
});

test('an exec plugin goes through client-node, which runs it', async (t) => {
  const dir = tempDir(t);
  const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } };
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    kubeconfig({
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: process.execPath,
        args: ['-e', `console.log(${JSON.stringify(JSON.stringify(credential))})`],
        interactiveMode: 'Never',
      },
    }),
  );
  const connection = await connect({ kubeconfig: file });
  assert.equal(connection.via, 'client-node');
  assert.equal((await connection.headers()).Authorization, 'Bearer from-exec');
});

test('in-cluster: the ServiceAccount token and CA, and the service address', (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'token'), 'sa-token');
  writeFileSync(path.join(dir, 'ca.crt'), 'SA-CA');
  const connection = inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
  assert.equal(connection.server.href, 'https://10.96.0.1/');
  assert.equal(String(connection.tls.ca), 'SA-CA');
  return connection.headers().then((h) => assert.deepEqual(h, { Authorization: 'Bearer sa-token' }));
});

test('a missing kubeconfig or context is a clear error', async (t) => {
  await assert.rejects(connect({ kubeconfig: '/nonexistent/config' }), /kubeconfig \/nonexistent\/config not found/);
  const dir = tempDir(t);
  const file = path.join(dir, 'config');
  writeFileSync(file, stringify({ 'current-context': 'nope', contexts: [] }));
  await assert.rejects(connect({ kubeconfig: file }), /no context named "nope"/);
});

test('--context picks another context of the kubeconfig, and its namespace is read', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'a',
      contexts: [
        { name: 'a', context: { cluster: 'ka', user: 'u' } },
        { name: 'b', context: { cluster: 'kb', user: 'u', namespace: 'shop' } },
      ],
      clusters: [
        { name: 'ka', cluster: { server: 'https://a.invalid:6443' } },
        { name: 'kb', cluster: { server: 'https://b.invalid:6443' } },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
    }),
  );
  assert.equal((await connect({ kubeconfig: file })).server.host, 'a.invalid:6443');
  assert.equal((await connect({ kubeconfig: file, context: 'b' })).server.host, 'b.invalid:6443');
  await assert.rejects(connect({ kubeconfig: file, context: 'c' }), /no context named "c"/);
  const text = readFileSync(file, 'utf8');
  assert.equal(kubeconfigNamespace(text), undefined);
  assert.equal(kubeconfigNamespace(text, 'b'), 'shop');
});
