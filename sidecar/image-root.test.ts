import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specUnderRoot, underRoot, type ImageRoot } from './image-root.js';
import { specOf } from './test-helpers.js';

const root: ImageRoot = { dir: '/src/examples/dreamscape/rootfs', entries: new Set(['app', 'etc']) };

test("an image path is taken from the root when its first component is one of the root's entries", () => {
  assert.equal(underRoot('/app/auth', root), '/src/examples/dreamscape/rootfs/app/auth');
  assert.equal(underRoot('/app', root), '/src/examples/dreamscape/rootfs/app');
  assert.equal(underRoot('/etc/nginx/nginx.conf', root), '/src/examples/dreamscape/rootfs/etc/nginx/nginx.conf');
  for (const kept of ['/usr/sbin/nginx', '/tmp/x', '/application/x', '/', 'dist/server.js', 'app/x', '--config=/app/x', '$(HOME)/app']) {
    assert.equal(underRoot(kept, root), kept, kept);
  }
});

test('a spec under a root: workingDir, absolute command and exec check elements, log files; the rest as written', () => {
  const spec = specOf({
    programs: [
      {
        name: 'web',
        command: ['nginx', '-c', '/app/nginx/nginx.conf', '-g', 'daemon off;'],
        workingDir: '/app/web',
        env: [{ name: 'CONF', value: '/app/conf' }],
        healthCheck: { exec: { command: ['/app/bin/check', '/tmp/probe'] } },
        logs: { stdoutFile: '/app/log/out.log', stderrFile: '/var/log/err.log' },
      },
      { name: 'plain', command: ['/usr/bin/sleep', '1000'] },
    ],
  });
  const mapped = specUnderRoot(spec, root);
  const [web, plain] = mapped.programs;
  assert.deepEqual(web!.command, ['nginx', '-c', '/src/examples/dreamscape/rootfs/app/nginx/nginx.conf', '-g', 'daemon off;']);
  assert.equal(web!.workingDir, '/src/examples/dreamscape/rootfs/app/web');
  assert.deepEqual(web!.healthCheck?.exec?.command, ['/src/examples/dreamscape/rootfs/app/bin/check', '/tmp/probe']);
  assert.equal(web!.logs.stdoutFile, '/src/examples/dreamscape/rootfs/app/log/out.log');
  assert.equal(web!.logs.stderrFile, '/var/log/err.log');
  assert.deepEqual(web!.env, [{ name: 'CONF', value: '/app/conf' }]);
  assert.deepEqual(plain, spec.programs[1]);
  assert.equal(plain!.workingDir, undefined);
  // Nothing else changes, and the input is left as it was.
  assert.deepEqual({ ...mapped, programs: [] }, { ...spec, programs: [] });
  assert.equal(spec.programs[0]!.workingDir, '/app/web');
});
