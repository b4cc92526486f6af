// Runs a command of a built runtime where every pod has it: chrooted into an empty root with the
// runtime bound at /corepod, so that its node (its loader is /corepod/lib's) runs and what it
// writes names /corepod paths. Root only: a mount namespace and a chroot.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUNTIME_MOUNT_PATH } from '../../contract/sidecar-contract.js';

/** argv as seen inside the root (`/corepod/node ...`). */
export function runInRuntimeRoot(runtimeDir: string, argv: readonly string[]): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-runtime-root-'));
  try {
    fs.mkdirSync(path.join(root, RUNTIME_MOUNT_PATH));
    execFileSync('unshare', ['--mount', 'sh', '-c', `mount --bind "$1" "$2${RUNTIME_MOUNT_PATH}" && shift 2 && exec chroot "$@"`, 'sh', runtimeDir, root, root, ...argv], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // Nothing of this machine's environment (NODE_OPTIONS, NODE_EXTRA_CA_CERTS) gets into what it builds.
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeout: 120_000,
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
