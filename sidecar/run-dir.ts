// Where `corepod run` keeps its control socket and state: $COREPOD_RUN_DIR, else /run/corepod for
// root, else $XDG_RUNTIME_DIR/corepod, else /tmp/corepod-$UID.
import path from 'node:path';
import { SIDECAR_ENV } from '../contract/sidecar-contract.js';

export const SOCKET_NAME = 'corepod.sock';

export function runDir(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? 0): string {
  const dir = env[SIDECAR_ENV.runDir];
  if (dir) return path.resolve(dir);
  if (uid === 0) return '/run/corepod';
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'corepod');
  return `/tmp/corepod-${uid}`;
}

export function socketPath(env: NodeJS.ProcessEnv = process.env, uid?: number): string {
  return path.join(runDir(env, uid), SOCKET_NAME);
}
