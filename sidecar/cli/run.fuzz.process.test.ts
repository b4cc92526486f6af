// Fuzzing `corepod run` and the top-level command line as a user meets them, in real processes:
// a CorePod damaged at random that the validator refuses makes `corepod run` exit 2 with one
// "path: message" line per error and start nothing (no program ran, no control socket); random
// argv to `corepod` exits 0-3 without a stack trace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { mutate, mutation } from '../../crds/fuzz-documents.js';
import { fuzzParameters } from '../../lib/fuzz-runs.js';
import { validateConfig } from '../config-loader.js';
import { runCli, tempDir } from '../test-helpers.js';

test('fuzz: a CorePod the validator refuses makes corepod run exit 2 with paths, and starts nothing', async (t) => {
  const dir = tempDir(t);
  const marker = path.join(dir, 'started');
  const base = {
    apiVersion: 'dreamscape.io/v1alpha1',
    kind: 'CorePod',
    metadata: { name: 'fuzz' },
    spec: {
      image: 'test',
      programs: [
        { name: 'first', command: ['sh', '-c', `echo first >> ${marker}; sleep 1000`], startSeconds: 0, memory: { limit: '64Mi' } },
        { name: 'second', command: ['sh', '-c', `echo second >> ${marker}; sleep 1000`], dependsOn: ['first'], env: [{ name: 'A', value: '1' }], logs: { maxBytes: '1Mi' } },
      ],
    },
  };
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
      const document = mutate(base, mutations);
      const verdict = validateConfig(document);
      fc.pre(!verdict.ok);
      refused++;
      const file = path.join(dir, 'corepod.yaml');
      fs.writeFileSync(file, stringify(document));
      const runDir = path.join(dir, `run-${refused}`);
      const result = await runCli(['run', '-f', file, '--health-port', '0'], { ...process.env, COREPOD_RUN_DIR: runDir });
      assert.equal(result.code, 2, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at .*:\d+:\d+/, 'a stack trace');
      const lines = result.stderr.trimEnd().split('\n');
      assert.match(lines[lines.length - 1]!, /: \d+ errors?, nothing started$/);
      for (const line of lines.slice(0, -1)) assert.match(line, /^\S.*: \S/, `not "path: message": ${line}`);
      assert.equal(fs.existsSync(marker), false, 'a program ran');
      assert.equal(fs.existsSync(path.join(runDir, 'corepod.sock')), false, 'a control socket was opened');
    }),
    fuzzParameters(5),
  );
  assert.ok(refused > 0);
});

test('fuzz: random argv to corepod exits 0-3 without a stack trace', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const argument = fc.oneof(
    fc.constantFrom('run', 'validate', 'status', 'help', '--help', '-h', 'convert', 'tail', 'nope', '', '__proto__', 'constructor', 'hasOwnProperty'),
    fc.constantFrom('-f', '/nonexistent', '--health-port', '70000', '-1', 'x', '--root', '/nonexistent-root', '--', '--health-host'),
    fc.string({ maxLength: 8 }).filter((s) => s !== '-' && !s.includes('\0')),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(argument, { minLength: 1, maxLength: 4 }), async (argv) => {
      const result = await runCli(argv, env, 30_000);
      assert.ok(result.code !== null && [0, 1, 2, 3].includes(result.code), `exit ${result.code}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at .*:\d+:\d+/, `a stack trace for ${JSON.stringify(argv)}`);
      assert.equal(fs.existsSync(path.join(env.COREPOD_RUN_DIR, 'corepod.sock')), false, 'something started');
    }),
    fuzzParameters(12),
  );
});
