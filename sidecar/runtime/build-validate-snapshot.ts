// Builds the validating child's V8 startup snapshot (sidecar/validate-snapshot.ts) into a built
// runtime: esbuild bundles the entry into one script, as `--build-snapshot` wants, and the
// runtime's own node snapshots it where pods run it (a snapshot only starts the node that made it).
// Usage: build-validate-snapshot RUNTIME_DIR ESBUILD
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { invokedAsScript } from '../../lib/command-line.js';
import { fileURLToPath } from 'node:url';
import { RUNTIME_MOUNT_PATH } from '../../contract/sidecar-contract.js';
import { VALIDATE_SNAPSHOT } from '../validate-child.js';
import { runInRuntimeRoot } from './runtime-chroot.js';

export function buildValidateSnapshot(runtimeDir: string, esbuild: string): number {
  const entry = fileURLToPath(new URL('../validate-snapshot.js', import.meta.url));
  const bundleName = '.validate-snapshot.cjs';
  const bundle = path.join(runtimeDir, 'app', bundleName);
  const blob = path.join(runtimeDir, 'app', VALIDATE_SNAPSHOT);
  fs.rmSync(blob, { force: true });
  execFileSync(
    esbuild,
    [entry, '--bundle', '--platform=node', '--format=cjs', `--target=node${process.versions.node.split('.')[0]}`, '--log-level=warning', `--outfile=${bundle}`],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  try {
    runInRuntimeRoot(runtimeDir, [
      `${RUNTIME_MOUNT_PATH}/node`,
      '--snapshot-blob',
      `${RUNTIME_MOUNT_PATH}/app/${VALIDATE_SNAPSHOT}`,
      '--build-snapshot',
      `${RUNTIME_MOUNT_PATH}/app/${bundleName}`,
    ]);
  } finally {
    fs.rmSync(bundle, { force: true });
  }
  return fs.statSync(blob).size;
}

if (invokedAsScript(import.meta.url)) {
  const [runtimeDir, esbuild] = process.argv.slice(2);
  if (!runtimeDir || !esbuild) {
    process.stderr.write('usage: build-validate-snapshot RUNTIME_DIR ESBUILD\n');
    process.exit(2);
  }
  const size = buildValidateSnapshot(path.resolve(runtimeDir), esbuild);
  process.stdout.write(`validate snapshot: ${(size / 1024 / 1024).toFixed(1)} MiB\n`);
}
