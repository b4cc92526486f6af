import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, type OperatorFlags } from './operator-command.js';
import { UsageError } from '../lib/usage-error.js';

const parse = (argv: string[]) => parseFlags(argv, {}) as OperatorFlags;

test('--watch-namespaces lists the namespaces to watch, without repeats or blanks', () => {
  const flags = parse(['--watch-namespaces', 'team-a, team-b,,team-a']);
  assert.deepEqual(flags.watchNamespaces, ['team-a', 'team-b']);
  assert.equal(flags.namespace, undefined);
  assert.equal(parse([]).watchNamespaces, undefined, 'every namespace by default');
});

test('--watch-namespaces refuses invalid names and does not combine with --namespace', () => {
  assert.throws(
    () => parse(['--watch-namespaces', 'Team_A']),
    (e: Error) => e instanceof UsageError && /--watch-namespaces/.test(e.message),
  );
  assert.throws(() => parse(['--watch-namespaces', ',']), UsageError);
  assert.throws(() => parse(['--namespace', 'a', '--watch-namespaces', 'b']), /give one of them/);
});

test('the Lease defaults to the first watched namespace when the pod namespace is unknown', () => {
  assert.equal(parse(['--watch-namespaces', 'b,c']).leaseNamespace, 'b');
  assert.equal((parseFlags(['--watch-namespaces', 'b'], { POD_NAMESPACE: 'ops' }) as OperatorFlags).leaseNamespace, 'ops');
});

test('--sidecar-image-pull-policy sets the init container pull policy; unknown policies are refused', () => {
  assert.equal(parse(['--sidecar-image-pull-policy', 'Never']).sidecar.imagePullPolicy, 'Never');
  assert.equal(parse([]).sidecar.imagePullPolicy, undefined);
  assert.throws(() => parse(['--sidecar-image-pull-policy', 'Sometimes']), /Always, IfNotPresent or Never/);
});

test('--runtime-delivery: auto by default, image-volume or copy when given; anything else refused', () => {
  assert.equal(parse([]).runtimeDelivery, 'auto');
  const copy = parse(['--runtime-delivery', 'copy']);
  assert.equal(copy.runtimeDelivery, 'copy');
  assert.equal(copy.sidecar.delivery, 'copy');
  assert.equal(parse(['--runtime-delivery', 'image-volume']).sidecar.delivery, 'image-volume');
  assert.throws(() => parse(['--runtime-delivery', 'volume']), /--runtime-delivery: expected auto, image-volume, copy, got "volume"/);
});

test('--sidecar-runtime-path: the runtime directory in the sidecar image, absolute and without ..', () => {
  assert.equal(parse([]).sidecar.runtimePath, '/opt/corepod/runtime');
  assert.equal(parse(['--sidecar-runtime-path', '/runtime']).sidecar.runtimePath, '/runtime');
  for (const bad of ['runtime', '/', '/opt/../etc']) assert.throws(() => parse(['--sidecar-runtime-path', bad]), /--sidecar-runtime-path/, bad);
});
