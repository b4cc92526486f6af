// Image volumes (KEP-4639, `volumes[].image`): the kubelet asks containerd 2 to mount a locally
// loaded image read-only into a pod, and a container reads a file from it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAndLoadImage, kubectl } from './cluster.js';
import { createNamespace } from '../support/cluster-env.js';
import { loadBusyboxImage } from './test-support.js';

const DATA_IMAGE = 'localhost/corepod/image-volume-data:1';
const MESSAGE = 'read from an image volume';

let namespace: { name: string; remove: () => Promise<void> };
let rootfs: string;

const exec = (script: string) => kubectl(['exec', '-n', namespace.name, 'reader', '--', '/bin/sh', '-c', script], { allowFailure: true });

before(async () => {
  rootfs = await mkdtemp(join(tmpdir(), 'image-volume-'));
  await mkdir(join(rootfs, 'data'));
  await writeFile(join(rootfs, 'data', 'message'), `${MESSAGE}\n`);
  await buildAndLoadImage({ tag: DATA_IMAGE, rootfs });
  const busybox = await loadBusyboxImage();
  namespace = await createNamespace('image-volume', { wait: true });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'reader', namespace: namespace.name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'reader',
          image: busybox,
          imagePullPolicy: 'Never',
          command: ['/bin/sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
          volumeMounts: [{ name: 'data', mountPath: '/image' }],
        },
      ],
      volumes: [{ name: 'data', image: { reference: DATA_IMAGE, pullPolicy: 'Never' } }],
    },
  };
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
  await kubectl(['wait', '-n', namespace.name, '--for=condition=Ready', 'pod/reader', '--timeout=120s'], { timeoutMs: 150_000 });
});
after(async () => {
  await namespace?.remove();
  if (rootfs) await rm(rootfs, { recursive: true, force: true });
});

test('the node runs containerd 2', async () => {
  const { stdout } = await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].status.nodeInfo.containerRuntimeVersion}']);
  assert.match(stdout, /^containerd:\/\/2\.\d+\.\d+$/);
});

test('the apiserver keeps the image volume source (the ImageVolume feature is on)', async () => {
  const { stdout } = await kubectl(['get', 'pod', '-n', namespace.name, 'reader', '-o', 'jsonpath={.spec.volumes[0].image.reference}']);
  assert.equal(stdout, DATA_IMAGE);
});

test('a container reads a file of the image', async () => {
  const { stdout, code } = await exec('cat /image/data/message');
  assert.equal(code, 0);
  assert.equal(stdout.trim(), MESSAGE);
});

test('the image is mounted read-only', async () => {
  const mounts = await exec('cat /proc/mounts');
  const line = mounts.stdout.split('\n').find((l) => l.split(' ')[1] === '/image');
  assert.ok(line, `no /image mount in:\n${mounts.stdout}`);
  assert.ok(line.split(' ')[3]!.split(',').includes('ro'), line);
  const write = await exec('echo x > /image/data/new');
  assert.notEqual(write.code, 0);
  assert.match(write.stderr, /Read-only file system/);
});
