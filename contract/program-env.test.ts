import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownEnv, sharedEnv } from './program-env.js';
import { ENV, programEnvFromPrefix, programEnvName } from './sidecar-contract.js';

const literal = (name: string, value: string) => ({ name, value });
const fromSource = (name: string) => ({ name, value: '', valueFrom: { secretKeyRef: { name: 's', key: name } } });

test('the shared environment drops every program variable and the sidecar-only token', () => {
  const container = {
    PATH: '/usr/bin',
    COREPOD_POD_NAME: 'web-1',
    [programEnvName(0, 'KEY')]: 'secret-of-0',
    [programEnvName(12, 'KEY')]: 'secret-of-12',
    [`${programEnvFromPrefix(3, 0)}DB_PASSWORD`]: 'pw',
    [ENV.githubToken]: 'ghp_x',
    UNSET: undefined,
  };
  assert.deepEqual(sharedEnv(container), { PATH: '/usr/bin', COREPOD_POD_NAME: 'web-1' });
});

test('a program gets only its own variables, unmangled', () => {
  const container = {
    [programEnvName(0, 'KEY')]: 'zero',
    [programEnvName(1, 'KEY')]: 'one',
    [`${programEnvFromPrefix(1, 0)}USER`]: 'u1',
    [`${programEnvFromPrefix(0, 0)}USER`]: 'u0',
  };
  const program = { env: [fromSource('KEY')], envFrom: [{ secretRef: { name: 'db' } }] };
  assert.deepEqual(ownEnv(program, 0, container), { USER: 'u0', KEY: 'zero' });
  assert.deepEqual(ownEnv(program, 1, container), { USER: 'u1', KEY: 'one' });
});

test('Kubernetes order: envFrom sources in order, then env in order; a later one wins', () => {
  const container = {
    [`${programEnvFromPrefix(0, 0)}A`]: 'from-first-source',
    [`${programEnvFromPrefix(0, 0)}B`]: 'from-first-source',
    [`${programEnvFromPrefix(0, 1)}B`]: 'from-second-source',
    [`${programEnvFromPrefix(0, 1)}C`]: 'from-second-source',
    [programEnvName(0, 'C')]: 'from-secret',
  };
  const program = {
    env: [literal('A', 'literal'), fromSource('C'), literal('D', '')],
    envFrom: [{ secretRef: { name: 'one' } }, { configMapRef: { name: 'two' } }],
  };
  assert.deepEqual(ownEnv(program, 0, container), { A: 'literal', B: 'from-second-source', C: 'from-secret', D: '' });
});

test("an envFrom prefix is part of the names; the contract's own prefix is not", () => {
  const container = { [`${programEnvFromPrefix(2, 0)}DB_HOST`]: 'db' };
  assert.deepEqual(ownEnv({ env: [], envFrom: [{ prefix: 'DB_', configMapRef: { name: 'c' } }] }, 2, container), { DB_HOST: 'db' });
});

test('an unresolved valueFrom (optional and missing, or no cluster) adds nothing and keeps an envFrom value', () => {
  const container = { [`${programEnvFromPrefix(0, 0)}KEY`]: 'from-source' };
  assert.deepEqual(ownEnv({ env: [fromSource('KEY'), fromSource('OTHER')], envFrom: [{ secretRef: { name: 's' } }] }, 0, container), { KEY: 'from-source' });
});
