// The host-side readers on real files and on this machine's /proc.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RotatingFile } from '../../sidecar/logs/rotating-file.js';
import { tempDir } from '../../sidecar/test-helpers.js';
import { ContainerLogs, podTree, readRotated, type PodProcess } from './host.js';
import { logContinuity } from './invariants.js';

test('readRotated: the rotated files of RotatingFile read back as one stream of whole lines', async (t) => {
  const dir = tempDir(t);
  const log = new RotatingFile({ path: path.join(dir, 'numbers.log'), maxBytes: 1000, backups: 3 });
  // Lines straddle every file boundary (1000 is not a multiple of a line's length).
  for (let n = 0; n < 2000; n++) log.writeNow(Buffer.from(`run-a ${n}\n`));
  log.writeNow(Buffer.from('run-a 2000')); // being written: no newline yet
  await log.close();
  const lines = readRotated(dir, 'numbers.log', 3)!;
  assert.equal(lines.at(-1), 'run-a 1999');
  assert.ok(lines.length > 300, `${lines.length} lines in 4 files of 1000 bytes`);
  assert.deepEqual(logContinuity(lines), []);
  // A line lost in the middle is seen.
  const two = fs.readFileSync(path.join(dir, 'numbers.log.2'), 'utf8');
  fs.writeFileSync(path.join(dir, 'numbers.log.2'), two.replace(/\nrun-a (\d+)\n/, '\n'));
  assert.deepEqual(
    logContinuity(readRotated(dir, 'numbers.log', 3)!).map((p) => p.kind),
    ['gap'],
  );
  assert.equal(readRotated(path.join(dir, 'none'), 'numbers.log', 3), undefined);
});

test('podTree: the sandbox, tini as PID 1, the node sidecar-init below it and its programs', () => {
  const p = (pid: number, ppid: number, comm: string, nsPid: number | undefined, node = false, state = 'S'): PodProcess => ({
    pid,
    ppid,
    comm,
    nsPid,
    node,
    state,
    startTime: pid,
    podUid: 'u',
  });
  const processes = [
    p(10, 5, 'pause', 1),
    p(20, 6, 'tini', 1),
    p(21, 20, 'MainThread', 7, true),
    p(30, 21, 'sh', 20),
    p(31, 21, 'notify-socket', 21),
    p(32, 21, 'nginx', 22),
    p(33, 30, 'sleep', 23),
    p(34, 21, 'sh', undefined, false, 'Z'),
  ];
  const tree = podTree(processes);
  assert.equal(tree.sandbox?.pid, 10);
  assert.equal(tree.sidecarInit?.pid, 21);
  assert.deepEqual(
    tree.programs.map((x) => x.pid),
    [30, 32],
  );
  assert.deepEqual(podTree([p(10, 5, 'pause', 1)]), { sandbox: processes[0], sidecarInit: undefined, programs: [] });
});

test('ContainerLogs: new CRI lines of the namespace once each, a partial line when complete', (t) => {
  const state = tempDir(t);
  const dir = path.join(state, 'pod-logs', 'ns1_web-abc_uid', 'app');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(state, 'pod-logs', 'other_x_uid', 'app'), { recursive: true });
  fs.writeFileSync(path.join(state, 'pod-logs', 'other_x_uid', 'app', '0.log'), '2026-01-01T00:00:00Z stdout F not ours\n');
  const file = path.join(dir, '0.log');
  fs.writeFileSync(file, '2026-01-01T00:00:00Z stdout F {"msg":"a"}\n2026-01-01T00:00:01Z stderr F Node.js v24.1.0\n2026-01-01T00:00:02Z stdout F par');
  const logs = new ContainerLogs(state, 'ns1');
  assert.deepEqual(logs.read(), [
    ['ns1_web-abc_uid/app', '{"msg":"a"}'],
    ['ns1_web-abc_uid/app', 'Node.js v24.1.0'],
  ]);
  assert.deepEqual(logs.read(), []);
  fs.appendFileSync(file, 'tial\n');
  assert.deepEqual(logs.read(), [['ns1_web-abc_uid/app', 'partial']]);
});
