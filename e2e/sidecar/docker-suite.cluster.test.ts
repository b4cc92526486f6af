// Runs the *.docker.test.js files of the sidecar (testcontainers) as the cluster README says:
// dockerd of the harness, the images loaded into it, Ryuk off, and the test process inside the
// cluster network namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dockerDown, dockerHost, dockerUp, netnsRun, testcontainersEnv } from '../cluster/cluster.js';
import { buildImages } from '../support/corepod-stage.js';

let host: string;
let startedHere = false;

before(async () => {
  const running = await dockerHost();
  startedHere = running === undefined;
  host = running ?? (await dockerUp());
  await buildImages(['sidecar', 'musl-busybox'], { docker: true });
});
after(async () => {
  if (startedHere) await dockerDown();
});

test('the sidecar image as PID 1 in plain containers (testcontainers)', async (t) => {
  const here = fileURLToPath(new URL('./', import.meta.url));
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith('.docker.test.js'))
    .map((f) => `${here}${f}`);
  assert.ok(files.length > 0);
  // A fresh test runner, not a child reporting to ours (which would swallow its output).
  const { NODE_TEST_CONTEXT: _, ...env } = testcontainersEnv(host);
  const result = await netnsRun(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
    env,
    timeoutMs: 15 * 60_000,
    allowFailure: true,
  });
  const summary = result.stdout.split('\n').filter((l) => /^[✔✖ℹ]/.test(l.trim()));
  for (const line of summary) t.diagnostic(line.trim());
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.ok(summary.some((l) => /^ℹ pass [1-9]/.test(l.trim())) && summary.some((l) => /^ℹ fail 0$/.test(l.trim())), result.stdout);
});
