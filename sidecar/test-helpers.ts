// Helpers for the sidecar's process tests: real temp dirs, polling with generous deadlines,
// specs with the schema's defaults applied, and a recorder of supervisor events.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { validateSpec, type CorePodSpec, type CorePodSpecInput } from '../crds/corepod-schema.js';
import { resolveQuantities } from './config-loader.js';
import type { SupervisorEvent } from './event-hub.js';
import type { Supervisor } from './supervisor.js';
import { killTree } from '../lib/procfs.js';
import { waitForWith } from '../lib/wait-for.js';

/** The repository root (tests run from dist/sidecar). */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(REPO, 'bin', 'corepod.js');

export function tempDir(t: TestContext, prefix = 'corepod-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** lib/wait-for.ts with the process tests' defaults: 20 s, polling every 25 ms. */
export const waitFor = waitForWith({ timeoutMs: 20_000, intervalMs: 25 });

/** A spec with the schema's defaults applied and quantities in bytes, as `corepod run` gets it. */
export function specOf(input: Omit<CorePodSpecInput, 'image'> & { image?: string }): CorePodSpec {
  const result = validateSpec({ image: 'test', ...input });
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return resolveQuantities(result.value);
}

export class Recorder {
  readonly events: SupervisorEvent[] = [];
  constructor(supervisor: Supervisor) {
    supervisor.subscribe({ deliver: (event) => void this.events.push(event) }, { maxQueue: 100_000 });
  }
  /** "program:STATE" for every state change, in order. */
  states(program?: string): string[] {
    return this.events.flatMap((e) => (e.type === 'process-state' && (!program || e.program === program) ? [`${e.program}:${e.to}`] : []));
  }
  of<K extends SupervisorEvent['type']>(type: K): Extract<SupervisorEvent, { type: K }>[] {
    return this.events.filter((e): e is Extract<SupervisorEvent, { type: K }> => e.type === type);
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the corepod CLI to completion (on `node`, default the one running the tests). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, node = process.execPath): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`corepod ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running CLI process (corepod run); killed with SIGKILL after the test if still alive. */
export function startCli(
  t: TestContext,
  args: string[],
  env: NodeJS.ProcessEnv,
  prefix: string[] = [],
  node = process.execPath,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const argv = [...prefix, node, CLI, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.pid) killTree(child.pid);
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

/** Every line the stream writes, parsed as JSON (a line that is not JSON as { raw }), as it arrives. */
export function collectJsonLines(stream: Readable): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  return lines;
}
