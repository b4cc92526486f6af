// The floor scripts run for real under sh and bash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { validateSpec } from '../../crds/corepod-schema.js';
import { floorScript } from './pod-variants.js';

const spec = (programs: unknown[]) => {
  const result = validateSpec({ image: 'app:1', programs });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
};

test('the floor script runs its programs for real, in their directories, with their environment, and waits for them', (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'corepod-floor-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const programs = spec([
    { name: 'one', command: ['sh', '-c', 'echo "$PWD $GREETING" > "$OUT/one"'], workingDir: '/tmp', env: [{ name: 'GREETING', value: 'hello world' }], priority: 1 },
    { name: 'two', command: ['sh', '-c', 'echo "$PWD" > "$OUT/two"'], priority: 2 },
  ]).programs;
  execFileSync('sh', ['-c', floorScript(programs)], { cwd: out, env: { ...process.env, OUT: out } });
  assert.equal(readFileSync(`${out}/one`, 'utf8'), '/tmp hello world\n');
  assert.equal(readFileSync(`${out}/two`, 'utf8'), `${out}\n`);
});

test('the ordered floor script really waits: the second program starts after the first one listens', (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'corepod-floor-'));
  const server = net.createServer().listen(0, '127.0.0.1');
  t.after(() => {
    server.close();
    rmSync(out, { recursive: true, force: true });
  });
  return new Promise<void>((resolve, reject) => {
    server.once('listening', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close();
      // The first program listens only after it wrote its mark; the second one writes after it.
      const first = `echo first >> "$OUT/order"; exec ${JSON.stringify(process.execPath)} -e "require('net').createServer().listen(${port}, '127.0.0.1', () => setTimeout(() => process.exit(0), 300))"`;
      const programs = spec([
        { name: 'first', command: ['sh', '-c', first], priority: 1, healthCheck: { tcpSocket: { port } } },
        { name: 'second', command: ['sh', '-c', 'echo second >> "$OUT/order"'], priority: 2 },
      ]).programs;
      execFile('bash', ['-c', floorScript(programs, { ordered: true })], { env: { ...process.env, OUT: out } }, (error) => {
        if (error) return reject(error);
        try {
          assert.equal(readFileSync(`${out}/order`, 'utf8'), 'first\nsecond\n');
          resolve();
        } catch (failure) {
          reject(failure);
        }
      });
    });
  });
});

test('SIGTERM to the floor script stops its programs and ends it with 0', (t) => {
  const programs = spec([
    { name: 'one', command: ['sleep', '1000'], priority: 1 },
    { name: 'two', command: ['sleep', '1001'], priority: 2 },
  ]).programs;
  const child = spawn('sh', ['-c', floorScript(programs)], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  const sleepers = () => fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return new Promise<void>((resolve, reject) => {
    const started = setInterval(() => {
      if (sleepers().length < 2) return;
      clearInterval(started);
      const programPids = sleepers().map(Number);
      child.once('exit', (code, signal) => {
        try {
          assert.deepEqual([code, signal], [0, null]);
          for (const pid of programPids) assert.equal(fs.existsSync(`/proc/${pid}`), false, `program ${pid} stopped`);
          resolve();
        } catch (failure) {
          reject(failure);
        }
      });
      child.kill('SIGTERM');
    }, 20);
  });
});
