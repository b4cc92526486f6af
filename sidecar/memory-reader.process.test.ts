import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createProcMemoryReader } from './memory-reader.js';
import { descendants } from '../lib/procfs.js';
import { waitFor } from './test-helpers.js';

test("the real /proc: a process tree's resident memory includes its children", async (t) => {
  // A shell whose child holds ~64 MiB.
  const child = spawn('sh', ['-c', `${process.execPath} -e "globalThis.b = Buffer.alloc(64 << 20, 1); setInterval(() => {}, 1000)" & wait`], { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const reader = createProcMemoryReader();
  await waitFor('child allocated', () => descendants(child.pid!).length > 0 && (reader.processTrees([child.pid!]).get(child.pid!) ?? 0) > 64 * 2 ** 20);
  const alone = reader.processTrees([descendants(child.pid!)[0]!]);
  assert.ok([...alone.values()][0]! > 64 * 2 ** 20);
});

test('the real cgroup of this machine is found (v1 or v2) and reads sane figures', () => {
  const figures = createProcMemoryReader().container();
  assert.ok(figures, 'a memory cgroup is mounted here');
  assert.ok(figures.usageBytes > 0);
  assert.ok(figures.workingSetBytes <= figures.usageBytes);
  assert.ok(figures.limitBytes === undefined || figures.limitBytes > 0);
});
