// The real plugin binary (bin/kubectl-corepod) against a real CorePod on the local cluster, the
// operator and the sidecar-init running: status, restart of one program (only its pid changes),
// stop/start, a signal the program records, one program's logs (also followed), bad arguments
// (exit 2 naming the argument), and a user whose Role grants only get/patch on corepods.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { REQUESTS_ANNOTATION } from '../contract/control-request.js';
import { installCrd, kubeconfigPath, repoRoot, run } from '../e2e/support/cluster-env.js';
import { buildImages, IMAGES, processNamed, Stage, waitFor } from '../e2e/support/corepod-stage.js';

const PLUGIN = path.join(repoRoot, 'bin', 'kubectl-corepod');
const NAME = 'shop';
let stage: Stage;
let pod: string;
let dir: string;

type Json = Record<string, any>;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-plugin');
  dir = mkdtempSync(path.join(tmpdir(), 'corepod-plugin-'));
  await stage.apply(NAME, {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      { name: 'web', command: ['/usr/local/bin/tiny-http', '8080', 'web'], ports: [{ name: 'web', containerPort: 8080 }] },
      // Records each signal it gets on its stdout (busybox sh runs a trap once the current sleep returns).
      { name: 'sig', command: ['/bin/sh', '-c', "trap 'echo got USR1' USR1; trap 'echo got HUP' HUP; echo sig ready; while true; do sleep 0.2; done"] },
      { name: 'chatty', command: ['/bin/sh', '-c', 'while true; do echo chatty line; sleep 0.5; done'] },
    ],
  });
  await stage.waitForCorePod(NAME, 'READY 3/3', (c) => c.status?.readyProcesses === '3/3');
  pod = (await stage.readyPod(NAME)).metadata.name as string;
});

after(async () => {
  await stage?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The plugin as kubectl would run it, against the test namespace; its exit code, stdout and stderr.
 * For a control command the CRD is applied first and every 10 s while it waits: suites of other
 * checkouts on this shared cluster apply theirs, and one without status.pods[].handledRequests
 * makes the API server refuse and drop what the pods report.
 */
async function plugin(args: string[], options: { kubeconfig?: string; namespace?: boolean } = {}) {
  const control = ['restart', 'stop', 'start', 'signal'].includes(args[0]!);
  if (control) await installCrd();
  const keep = control ? setInterval(() => void installCrd().catch(() => undefined), 10_000) : undefined;
  const base = ['--kubeconfig', options.kubeconfig ?? kubeconfigPath(), ...(options.namespace === false ? [] : ['-n', stage.namespace])];
  try {
    const result = await run(process.execPath, [PLUGIN, ...args, ...base], { allowFailure: true, timeoutMs: 180_000 });
    if (control && result.code !== 0) result.stderr += await diagnosis();
    return result;
  } finally {
    clearInterval(keep);
  }
}

/** Waits until the status reports the pid the plugin printed for `program` (the status reporter coalesces). */
async function statusShows(program: string, stdout: string): Promise<Record<string, number | undefined>> {
  const printed = Number(new RegExp(`${program}: \\w+ \\(pid (\\d+)\\)`).exec(stdout)?.[1]);
  assert.ok(printed > 0, stdout);
  await stage.waitForCorePod(NAME, `${program} has pid ${printed} and is RUNNING`, (c) => {
    const p = processNamed(c.status?.pods?.[0]?.processes, program);
    return p?.pid === printed && p.state === 'RUNNING';
  });
  return pids();
}

/** What the sidecar-init logged about the CorePod watch and the requests, and the annotation: for a failure's message. */
async function diagnosis(): Promise<string> {
  const lines = (await stage.logs(pod)).filter((l) => /CorePod|control request/.test(String(l.msg)));
  const annotation = ((await stage.corePod(NAME)) as Json | undefined)?.metadata?.annotations?.[REQUESTS_ANNOTATION];
  return `\nsidecar-init: ${JSON.stringify(lines)}\nrequests: ${annotation}`;
}

const pids = async () => Object.fromEntries(((await stage.processes(NAME)) ?? []).map((p) => [p.name, p.pid]));

test('status: every program of the pod in supervisorctl columns; -o json, yaml and wide', async () => {
  const table = await plugin(['status', NAME]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `pod/${pod}`);
  for (const name of ['web', 'sig', 'chatty']) assert.match(table.stdout, new RegExp(`^${name} +RUNNING +pid \\d+, uptime \\d+:\\d\\d:\\d\\d`, 'm'));
  const json = JSON.parse((await plugin(['status', NAME, '-o', 'json'])).stdout) as Json;
  assert.equal(json.pods[0].name, pod);
  assert.deepEqual(json.pods[0].processes.map((p: Json) => p.name).sort(), ['chatty', 'sig', 'web']);
  const yaml = parse((await plugin(['status', NAME, '-o', 'yaml'])).stdout) as Json;
  assert.deepEqual([yaml.name, yaml.pods[0].name, yaml.pods[0].processes.length], [NAME, pod, 3]);
  const wide = await plugin(['status', NAME, '-o', 'wide']);
  assert.match(wide.stdout, /^POD\s+NAME\s+STATE\s+DESCRIPTION$/m);
  assert.match(wide.stdout, new RegExp(`^${pod}\\s+web\\s+RUNNING`, 'm'));
});

test('restart of one program: its pid changes, the others keep theirs; printed per pod', async (t) => {
  const before = await pids();
  const started = performance.now();
  const result = await plugin(['restart', NAME, 'web']);
  t.diagnostic(`kubectl corepod restart shop web took ${Math.round(performance.now() - started)} ms`);
  assert.equal(result.code, 0, result.stderr);
  const after = await statusShows('web', result.stdout);
  assert.notEqual(after.web, before.web);
  assert.equal(after.sig, before.sig);
  assert.equal(after.chatty, before.chatty);
  assert.equal(result.stdout, `pod/${pod}: web: restarted (pid ${after.web})\n`);
  const entry = (await stage.corePod(NAME))!.status!.pods!.find((p) => p.name === pod) as Json;
  assert.equal(entry.handledRequests.length, 1);
  assert.deepEqual(entry.handledRequests[0].results, [{ name: 'web', ok: true, state: 'RUNNING', pid: after.web }]);
  const requests = JSON.parse(((await stage.corePod(NAME)) as Json).metadata.annotations[REQUESTS_ANNOTATION]) as Json[];
  assert.equal(requests.at(-1)!.id, entry.handledRequests[0].id);
  assert.deepEqual(requests.at(-1)!.pods, [pod]);
});

test('stop then start of one program, through --pod', async () => {
  const stop = await plugin(['stop', NAME, 'chatty', '--pod', pod]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, `pod/${pod}: chatty: stopped\n`);
  await stage.waitForCorePod(NAME, 'chatty STOPPED', (c) => processNamed(c.status?.pods?.[0]?.processes, 'chatty')?.state === 'STOPPED');
  const status = await plugin(['status', NAME]);
  assert.equal(status.code, 1, 'a program not RUNNING makes status exit 1');
  assert.match(status.stdout, /^chatty +STOPPED +stopped at /m);
  const again = await plugin(['stop', NAME, 'chatty']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /chatty: ERROR \(not running\)/);
  const start = await plugin(['start', NAME, 'chatty']);
  assert.equal(start.code, 0, start.stderr);
  assert.match(start.stdout, new RegExp(`^pod/${pod}: chatty: started \\(pid \\d+\\)$`, 'm'));
  await statusShows('chatty', start.stdout);
});

test('signal: the program records the signal it got; logs shows that program only, and follows', async () => {
  const sigPid = (await pids()).sig;
  const result = await plugin(['signal', NAME, 'usr1', 'sig']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `pod/${pod}: sig: signalled USR1 (pid ${sigPid})\n`);
  const logs = await waitFor('got USR1 in the logs of sig', async () => {
    const r = await plugin(['logs', NAME, 'sig']);
    return r.code === 0 && r.stdout.includes('got USR1') ? r.stdout : undefined;
  });
  // Only sig's lines (its start line too, unless the log mirror dropped it under load).
  for (const line of logs.trimEnd().split('\n')) assert.ok(['sig ready', 'got USR1'].includes(line), line);
  assert.equal((await pids()).sig, sigPid, 'a signal the program traps does not restart it');
  const chatty = await plugin(['logs', NAME, 'chatty', '--since', '1m']);
  assert.ok(chatty.stdout.length > 0);
  assert.deepEqual([...new Set(chatty.stdout.trimEnd().split('\n'))], ['chatty line']);
  assert.equal((await plugin(['logs', NAME, 'sig', '--stderr'])).stdout, '');
  const json = (await plugin(['logs', NAME, 'sig', '-o', 'json'])).stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Json);
  assert.ok(json.some((l) => l.msg === 'got USR1'));
  for (const l of json) assert.deepEqual([l.program, l.stream, typeof l.time], ['sig', 'stdout', 'number']);

  const follower = spawn(process.execPath, [PLUGIN, 'logs', NAME, 'sig', '-f', '--kubeconfig', kubeconfigPath(), '-n', stage.namespace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let followed = '';
  follower.stdout.setEncoding('utf8').on('data', (c: string) => (followed += c));
  try {
    await waitFor('the follower printed the earlier lines', () => followed.includes('got USR1'));
    assert.equal((await plugin(['signal', NAME, 'HUP', 'sig'])).code, 0);
    await waitFor('the follower printed got HUP', () => followed.includes('got HUP'));
    assert.doesNotMatch(followed, /chatty/);
  } finally {
    follower.kill();
  }
});

test('bad arguments exit 2 naming the argument; an unknown CorePod exits 1; an unreachable API server exits 3', async () => {
  const cases: [string[], RegExp][] = [
    [['restart', NAME, 'nope'], /PROGRAM "nope": no such program in corepod shop \(web, sig, chatty\)/],
    [['signal', NAME, 'BOGUS', 'sig'], /SIG "BOGUS": unknown signal/],
    [['restart', NAME, 'web', '--pod', 'no-such-pod'], /--pod: no pod "no-such-pod" of corepod shop has reported/],
    [['restart', NAME], /missing PROGRAM/],
    [['status'], /missing NAME/],
    [['status', NAME, '-o', 'table'], /--output: expected json, yaml or wide, got "table"/],
    [['logs', NAME, 'sig', '--since', 'soon'], /--since: expected a duration/],
    [['restart', NAME, 'web', '--timeout', 'x'], /--timeout: expected a duration/],
    [['status', NAME, '--context', 'nope'], /--context: no context named "nope"/],
    [['bogus'], /unknown command "bogus"/],
  ];
  for (const [args, message] of cases) {
    const r = await plugin(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const missing = await plugin(['status', 'no-such-corepod']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /corepods\.dreamscape\.io "no-such-corepod" not found/);
  const nowhere = path.join(dir, 'nowhere');
  writeFileSync(
    nowhere,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
    }),
  );
  const unreachable = await plugin(['status', NAME], { kubeconfig: nowhere });
  assert.equal(unreachable.code, 3, unreachable.stderr);
  assert.match(unreachable.stderr, /cannot reach the API server at https:\/\/127\.0\.0\.1:1/);
  for (const command of ['status', 'restart', 'stop', 'start', 'signal', 'logs']) {
    const help = await plugin([command, '--help']);
    assert.equal(help.code, 0, command);
    assert.match(help.stdout, new RegExp(`^Usage: kubectl corepod ${command} `));
  }
  const convert = await run(process.execPath, [PLUGIN, 'convert', '--help'], { allowFailure: true });
  assert.equal(convert.code, 0);
  assert.match(convert.stdout, /^Usage: corepod convert /);
});

test('a user whose Role grants only get and patch on corepods can restart (no pods/exec), but not read pods/log', async () => {
  const sa = 'operator-user';
  await stage.kubectl(['create', 'serviceaccount', sa]);
  await stage.kubectl(['create', 'role', 'corepod-operator', '--verb=get,patch', '--resource=corepods.dreamscape.io']);
  await stage.kubectl(['create', 'rolebinding', 'corepod-operator', '--role=corepod-operator', `--serviceaccount=${stage.namespace}:${sa}`]);
  const who = `system:serviceaccount:${stage.namespace}:${sa}`;
  assert.equal((await stage.kubectl(['auth', 'can-i', 'create', 'pods/exec', `--as=${who}`], { allowFailure: true })).stdout.trim(), 'no');
  const admin = JSON.parse((await stage.kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])).stdout) as Json;
  const token = (await stage.kubectl(['create', 'token', sa, '--duration', '1h'])).stdout.trim();
  const file = path.join(dir, 'user-kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'user',
      clusters: [{ name: 'local', cluster: admin.clusters[0].cluster }],
      users: [{ name: 'user', user: { token } }],
      // The namespace comes from the context, as kubectl takes it.
      contexts: [{ name: 'user', context: { cluster: 'local', user: 'user', namespace: stage.namespace } }],
    }),
    { mode: 0o600 },
  );
  await waitFor('the Role to take effect', async () => (await plugin(['status', NAME], { kubeconfig: file, namespace: false })).code === 0);
  const before = await pids();
  const restart = await plugin(['restart', NAME, 'web'], { kubeconfig: file, namespace: false });
  assert.equal(restart.code, 0, restart.stderr);
  const after = await statusShows('web', restart.stdout);
  assert.notEqual(after.web, before.web);
  assert.equal(after.sig, before.sig);
  const logs = await plugin(['logs', NAME, 'sig'], { kubeconfig: file, namespace: false });
  assert.equal(logs.code, 1);
  assert.match(logs.stderr, /Error from server \(Forbidden\): .*pods\/log/);
  // The same user by impersonation from the admin kubeconfig (kubectl's --as).
  const impersonated = await plugin(['status', NAME, '--as', who]);
  assert.equal(impersonated.code, 0, impersonated.stderr);
  const denied = await plugin(['logs', NAME, 'sig', '--as', who]);
  assert.equal(denied.code, 1);
});
