import assert from 'node:assert/strict';
import { test } from 'node:test';
import { which } from './program.js';
import { parseSvstat, s6RunScript } from './s6-runner.js';

test('s6RunScript: a bash -c program is the run script itself; anything else is exec’d by sh with its env and directory', () => {
  assert.equal(s6RunScript({ name: 'a', command: ['bash', '-c', 'echo hi; exit 3'], startSeconds: 0, autorestart: true }), `#!${which('bash')}\necho hi; exit 3\n`);
  assert.equal(
    s6RunScript({ name: 'b', command: ['sleep', '86400'], startSeconds: 0, autorestart: true, env: { MODE: 'a b' }, workingDir: '/tmp' }),
    `#!/bin/sh\nexport MODE='a b'\ncd /tmp || exit 111\nexec ${which('sleep')} 86400\n`,
  );
});

test('parseSvstat: up with its pid, down without one', () => {
  assert.deepEqual(parseSvstat('a', 'true 123\n'), { name: 'a', up: true, pid: 123 });
  assert.deepEqual(parseSvstat('a', 'false -1\n'), { name: 'a', up: false });
});
