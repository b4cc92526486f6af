// dockerd for testcontainers: started in the cluster network namespace, fed with a locally built
// image (nothing can be pulled), used by testcontainers from a process in that namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildImage, dockerDown, dockerHost, dockerUp, loadImage, netnsRun, run, testcontainersEnv } from './cluster.js';
import { BUSYBOX_IMAGE } from './test-support.js';

let startedHere = false;
let host: string;

before(async () => {
  const running = await dockerHost();
  startedHere = running === undefined;
  host = running ?? (await dockerUp());
});
after(async () => {
  if (startedHere) await dockerDown();
});

test('testcontainers runs a locally built image on the harness dockerd', async () => {
  const archive = await buildImage({ tag: BUSYBOX_IMAGE, recipe: fileURLToPath(new URL('../../../e2e/cluster/images/busybox/Recipe', import.meta.url)) });
  await loadImage(archive, { docker: true });

  const probe = fileURLToPath(new URL('./testcontainers-probe.js', import.meta.url));
  const { stdout } = await netnsRun(process.execPath, [probe, BUSYBOX_IMAGE], { env: testcontainersEnv(host), timeoutMs: 180_000 });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as { host: string; port: number; body: string };
  assert.equal(result.body.trim(), 'from testcontainers');
  // testcontainers maps ports on the docker bridge gateway (10.201.0.1), inside the namespace.
  assert.ok(Number.isInteger(result.port) && result.port > 0);

  const { stdout: left } = await run('docker', ['-H', host, 'ps', '-aq', '--filter', `ancestor=${BUSYBOX_IMAGE}`]);
  assert.equal(left.trim(), '', 'the probe removed its container');
});
