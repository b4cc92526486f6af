import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { waitFor } from './wait-for.js';
import { descendants, memoryBreakdown, namespacePid } from './procfs.js';

test('namespacePid is the pid seen inside the innermost pid namespace: 1 for the init of a new one', async (t) => {
  assert.equal(namespacePid(process.pid), process.pid, 'this test runs in the initial pid namespace');
  const unshare = spawn('unshare', ['--pid', '--fork', 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => unshare.kill('SIGKILL'));
  const sleeper = await waitFor('the sleep inside the new pid namespace', () => descendants(unshare.pid!)[0], 10_000);
  assert.equal(namespacePid(sleeper), 1);
  assert.equal(namespacePid(2 ** 22 + 1), undefined, 'no such process');
});

test('memoryBreakdown splits resident memory: private pages are part of it, shared code is not private', () => {
  const own = memoryBreakdown(process.pid)!;
  assert.ok(own.private > 0 && own.private <= own.rss, JSON.stringify(own));
  assert.ok(own.pss <= own.rss && own.pss >= own.private, JSON.stringify(own));
});
