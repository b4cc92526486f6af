import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageBuildArgs } from './cluster.js';

test('imageBuildArgs: recipe with context and every config flag', () => {
  assert.deepEqual(
    imageBuildArgs({
      tag: 'localhost/x/app:1',
      recipe: '/r/Recipe',
      context: '/ctx',
      entrypoint: ['/app', '--flag'],
      cmd: ['serve'],
      env: { A: '1', B: 'two words' },
      user: '1000:1000',
      workdir: '/srv',
      labels: { team: 'core' },
      expose: ['80', '53/udp'],
    }),
    [
      'build',
      '--tag',
      'localhost/x/app:1',
      '--recipe',
      '/r/Recipe',
      '--context',
      '/ctx',
      '--entrypoint',
      '["/app","--flag"]',
      '--cmd',
      '["serve"]',
      '--env',
      'A=1',
      '--env',
      'B=two words',
      '--user',
      '1000:1000',
      '--workdir',
      '/srv',
      '--label',
      'team=core',
      '--expose',
      '80',
      '--expose',
      '53/udp',
    ],
  );
});

test('imageBuildArgs: rootfs, and a binary with or without a target path', () => {
  assert.deepEqual(imageBuildArgs({ tag: 'a/b:1', rootfs: '/tmp/root' }), ['build', '--tag', 'a/b:1', '--rootfs', '/tmp/root']);
  assert.deepEqual(imageBuildArgs({ tag: 'a/b:1', binary: '/bin/x' }), ['build', '--tag', 'a/b:1', '--binary', '/bin/x']);
  assert.deepEqual(imageBuildArgs({ tag: 'a/b:1', binary: '/bin/x', path: '/usr/bin/y' }), ['build', '--tag', 'a/b:1', '--binary', '/bin/x:/usr/bin/y']);
});
