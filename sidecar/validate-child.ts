// Validation of a CorePod file in a short-lived child (`corepod validate --json`), so the
// long-lived supervisor never loads zod or yaml: at `corepod run` and at each reload. The bundled
// runtime starts that child from a V8 snapshot with zod and the schema already built
// (validate-snapshot.ts); a checkout loads them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from './config-loader.js';

export type ChildValidation = { ok: true; config: LoadedConfig } | { ok: false; usage: boolean; errors: string };

/** The snapshot's file, next to the runtime's package.json (build-runtime makes it). */
export const VALIDATE_SNAPSHOT = 'validate.blob';

/** node's arguments for `corepod validate --json -f FILE`: from the snapshot when there is one. */
export function validateArgs(file: string, snapshot: string | undefined, execArgv: readonly string[] = process.execArgv): string[] {
  const command = ['validate', '--json', '-f', file];
  if (snapshot) return [...execArgv, '--snapshot-blob', snapshot, ...command];
  return [...execArgv, fileURLToPath(new URL('./cli/main.js', import.meta.url)), ...command];
}

function bundledSnapshot(): string | undefined {
  const blob = fileURLToPath(new URL(`../../${VALIDATE_SNAPSHOT}`, import.meta.url));
  return fs.existsSync(blob) ? blob : undefined;
}

export function validateInChild(file: string): Promise<ChildValidation> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, validateArgs(file, bundledSnapshot()), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error) => resolve({ ok: false, usage: false, errors: `cannot check ${file}: ${error.message}` }));
    child.once('close', (code) => {
      if (code !== 0) {
        resolve({ ok: false, usage: code === 2, errors: Buffer.concat(err).toString('utf8').trimEnd() });
        return;
      }
      resolve({ ok: true, config: JSON.parse(Buffer.concat(out).toString('utf8')) as LoadedConfig });
    });
  });
}
