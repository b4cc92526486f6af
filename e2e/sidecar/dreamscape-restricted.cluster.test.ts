// The DreamScape example in a namespace that enforces Pod Security "restricted": its
// spec.securityContext (uid 65532) is all it takes. Admitted, READY 3/3 with every process
// (sidecar-init, node, nginx master and worker) as 65532, and nginx serving port 80 without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsRun } from '../cluster/cluster.js';
import { buildImages, kubectl, Stage } from '../support/corepod-stage.js';
import { repoRoot } from '../support/cluster-env.js';

for (const delivery of ['image-volume', 'copy'] as const) {
  test(`DreamScape under enforce=restricted (runtime: ${delivery}): admitted, READY 3/3, everything as uid 65532, nginx on 80 reaches both services`, async (t) => {
    await buildImages(['sidecar', 'dreamscape']);
    const stage = await Stage.open(`psa-dreamscape-${delivery === 'copy' ? 'copy' : 'iv'}`, { runtimeDelivery: delivery });
    t.after(() => stage.close());
    await kubectl(['label', 'namespace', stage.namespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=v1.32']);
    await stage.createDreamscapeSecrets();
    await stage.applyFile(`${repoRoot}examples/dreamscape/corepod.yaml`);
    const cp = await stage.waitForCorePod('dreamscape', 'READY 3/3 Running', (c) => (c.status?.readyProcesses === '3/3' && c.status.phase === 'Running' ? c : undefined), 300_000);
    for (const p of cp.status!.pods![0]!.processes) assert.equal(p.healthy, true, p.name);
    const running = await stage.readyPod('dreamscape');
    assert.equal(running.spec.securityContext.runAsUser, 65532);
    assert.equal(running.spec.initContainers?.length ?? 0, delivery === 'copy' ? 1 : 0);
    assert.deepEqual(running.spec.securityContext.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }]);
    const { stdout: ps } = await stage.exec(running.metadata.name, ['ps', '-eo', 'uid=,gid=,args=']);
    const rows = ps
      .trim()
      .split('\n')
      .filter((r) => !/\sps -eo/.test(r));
    assert.ok(rows.some((r) => /nginx: worker process/.test(r)) && rows.filter((r) => /node .*server\.js/.test(r)).length === 2, ps);
    for (const row of rows) assert.match(row, /^\s*65532\s+65532\s/, `runs as 65532:65532: ${row}`);
    const curl = async (args: string[]) => (await netnsRun('curl', ['-sS', '--max-time', '10', ...args])).stdout;
    const ip = running.status.podIP as string;
    assert.equal(JSON.parse(await curl([`http://${ip}/health`])).status, 'ok');
    const { token } = JSON.parse(await curl(['-X', 'POST', '-H', 'content-type: application/json', '-d', '{"username":"ada"}', `http://${ip}/auth/login`])) as { token: string };
    const me = JSON.parse(await curl(['-H', `authorization: Bearer ${token}`, `http://${ip}/users/me`])) as { username: string };
    assert.equal(me.username, 'ada');
  });
}
