// Validation of a CorePod file in a short-lived child (`corepod validate --json`), so the
// long-lived supervisor never loads zod or yaml: at `corepod run` and at each reload.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from './config-loader.js';

export type ChildValidation = { ok: true; config: LoadedConfig } | { ok: false; usage: boolean; errors: string };

export function validateInChild(file: string): Promise<ChildValidation> {
  const main = fileURLToPath(new URL('./cli/main.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, main, 'validate', '--json', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
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
