import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRuntimeDelivery, parseServerVersion } from './runtime-delivery.js';

const v = (major: string, minor: string, gitVersion = `v${major}.${minor.replace(/\D+$/, '')}.0`) => ({ major, minor, gitVersion });

test('auto: image volumes from Kubernetes 1.35, a copy before', () => {
  const cases: [ReturnType<typeof v>, string][] = [
    [v('1', '37'), 'image-volume'],
    [v('1', '36'), 'image-volume'],
    [v('1', '35'), 'image-volume'],
    [v('1', '34'), 'copy'],
    [v('1', '32'), 'copy'],
    [v('1', '35+', 'v1.35.2-gke.1'), 'image-volume'],
    [v('1', '34+', 'v1.34.9-eks-1'), 'copy'],
    [v('2', '0'), 'image-volume'],
  ];
  for (const [version, expected] of cases) assert.equal(chooseRuntimeDelivery('auto', version).delivery, expected, version.gitVersion);
});

test('auto: the reason names the version it decided on', () => {
  assert.match(chooseRuntimeDelivery('auto', v('1', '37', 'v1.37.2')).reason, /Kubernetes v1\.37\.2 mounts image volumes/);
  assert.match(chooseRuntimeDelivery('auto', v('1', '34', 'v1.34.1')).reason, /v1\.34\.1 predates image volumes on by default \(1\.35\)/);
});

test('auto: an unreadable or missing version falls back to the copy, which works everywhere', () => {
  assert.equal(chooseRuntimeDelivery('auto', v('', '')).delivery, 'copy');
  assert.equal(chooseRuntimeDelivery('auto', { major: 'x', minor: '35', gitVersion: 'v?' }).delivery, 'copy');
  const none = chooseRuntimeDelivery('auto', undefined);
  assert.equal(none.delivery, 'copy');
  assert.match(none.reason, /no answer/);
});

test('an explicit flag wins over the version', () => {
  assert.deepEqual(chooseRuntimeDelivery('copy', v('1', '37')), { delivery: 'copy', reason: '--runtime-delivery=copy' });
  assert.deepEqual(chooseRuntimeDelivery('image-volume', v('1', '32')), { delivery: 'image-volume', reason: '--runtime-delivery=image-volume' });
});

test('parseServerVersion keeps the numbers and drops a provider suffix', () => {
  assert.deepEqual(parseServerVersion(v('1', '35+')), { major: 1, minor: 35 });
  assert.equal(parseServerVersion(v('1', '')), undefined);
});
