// Fuzzing the CLI's arguments: every command (but run, which the process fuzz covers, and the
// operator) gets random argv of its real options, near misses and junk, with no supervisor
// running. The contract: exit 0 (--help), 2 with a "corepod: …" line and the usage, or 3 (no
// supervisor); never an exception, never a stack trace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../lib/fuzz-runs.js';

const COMMANDS = ['validate', 'status', 'start', 'stop', 'restart', 'signal', 'tail', 'health', 'convert'] as const;

// No "-": convert reads its standard input then, which a test does not have.
const argument = fc.oneof(
  fc.constantFrom(
    '-f',
    '--file',
    '--json',
    '--timeout',
    '-c',
    '--bytes',
    '--stderr',
    '--follow',
    '-f',
    '--name',
    '--image',
    '--output',
    '-h',
    '--help',
    '--',
    '--=',
    '-x',
    '--no-json',
  ),
  fc.constantFrom('all', 'app', 'stdout', 'stderr', 'HUP', 'SIGKILL', '99', '0', '-1', '1e400', '1e-9', '0x10', 'NaN', 'Infinity', '3000000', ' ', ''),
  fc.constantFrom('/nonexistent/file', '/', '/dev/null', '/proc/self/status', '--json=1', '--timeout=0', '-c=5', '--file='),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/\0/g, '')),
);

/** Runs a command module in-process, capturing what it writes. */
async function runInProcess(name: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const module = (await import(name === 'convert' ? '../convert/convert-command.js' : `./${name}-command.js`)) as { main(argv: string[]): Promise<number> };
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await module.main(argv), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('fuzz: random arguments to every command exit 0, 2 or 3 with a message, never with an exception', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-args-fuzz-'));
  const saved = { cwd: process.cwd(), runDir: process.env.COREPOD_RUN_DIR };
  process.env.COREPOD_RUN_DIR = path.join(dir, 'run'); // no supervisor listens there
  process.chdir(dir); // where `convert -o FILE` writes
  t.after(() => {
    process.chdir(saved.cwd);
    if (saved.runDir === undefined) delete process.env.COREPOD_RUN_DIR;
    else process.env.COREPOD_RUN_DIR = saved.runDir;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...COMMANDS),
      fc.array(
        argument.filter((a) => a !== '-'),
        { maxLength: 6 },
      ),
      async (name, argv) => {
        const { code, stderr } = await runInProcess(name, argv);
        assert.ok([0, 1, 2, 3].includes(code), `exit ${code}`);
        assert.doesNotMatch(stderr, /\n\s+at .*:\d+:\d+/, 'a stack trace');
        if (code === 2) assert.match(stderr, /^(corepod( convert)?: |.*: )/m);
        if (code === 1) assert.ok(name === 'convert' || name === 'validate', `exit 1 from ${name}: ${stderr}`);
      },
    ),
    fuzzParameters(300),
  );
});
