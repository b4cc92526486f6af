// $(VAR) references in a real pod (musl/busybox image): the sidecar-init expands a program's
// command and env values from the program's environment, which in the pod holds what the operator
// gives the container (COREPOD_POD_NAME from the downward API) and the program's own variables.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImages, IMAGES, processNamed, Stage } from '../support/corepod-stage.js';

let stage: Stage;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-env-refs');
});
after(async () => stage?.close());

test('$(VAR) in command and env: expanded from the pod-given and earlier variables, $$(VAR) literal, an unknown one left as written', async () => {
  await stage.apply('refs', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      {
        name: 'echo',
        command: ['/bin/sh', '-c', 'printf "%s\\n" "$@" > /tmp/argv; exec sleep 3600', 'sh', '$(COREPOD_POD_NAME)', '$(GREETING)', '$$(GREETING)', '$(NOT_DEFINED)'],
        env: [
          { name: 'WHO', value: 'ada' },
          { name: 'GREETING', value: 'hello $(WHO) in $(COREPOD_POD_NAMESPACE)' },
        ],
        startSeconds: 1,
      },
    ],
  });
  const cp = await stage.waitForCorePod('refs', 'echo RUNNING', (c) => (processNamed(c.status?.pods?.[0]?.processes, 'echo')?.state === 'RUNNING' ? c : undefined));
  const pod = (await stage.readyPod('refs')).metadata.name as string;
  const { stdout: argv } = await stage.exec(pod, ['cat', '/tmp/argv']);
  assert.equal(argv, `${pod}\nhello ada in ${stage.namespace}\n$(GREETING)\n$(NOT_DEFINED)\n`);
  const pid = processNamed(cp.status!.pods![0]!.processes, 'echo')!.pid!;
  const { stdout: environ } = await stage.exec(pod, ['cat', `/proc/${pid}/environ`]);
  assert.ok(environ.split('\0').includes(`GREETING=hello ada in ${stage.namespace}`), environ);
});
