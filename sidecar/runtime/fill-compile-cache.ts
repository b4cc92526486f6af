// Fills a built runtime's compile cache (sidecar/compile-cache.ts): every module of its app is
// loaded once with the cache on, from a temporary entry inside the app, so that packages resolve
// to the app's own copies. Run by build-runtime (as root: a mount namespace and a chroot).
// Usage: fill-compile-cache RUNTIME_DIR
import fs from 'node:fs';
import path from 'node:path';
import { invokedAsScript } from '../../lib/command-line.js';
import { RUNTIME_MOUNT_PATH } from '../../contract/sidecar-contract.js';
import { COMPILE_CACHE_DIR } from '../compile-cache.js';
import { FS_READER, importSpecifiers, packageOf, reachable } from './app-files.js';
import { runInRuntimeRoot } from './runtime-chroot.js';

/** The CLI's entry modules run the CLI when loaded; what they import is loaded all the same. */
const ENTRIES = ['bin/corepod.js', 'dist/sidecar/cli/main.js'];

/** What the temporary entry imports: the app's modules but its entries, and the packages as the app names them. */
export function modulesToLoad(appDir: string): string[] {
  const { files } = reachable([path.join(appDir, ENTRIES[0]!)], FS_READER);
  const own = files.map((f) => `./${path.relative(appDir, f)}`).filter((f) => !ENTRIES.includes(f.slice(2)));
  const bare = new Set(files.flatMap((f) => importSpecifiers(FS_READER.read(f)).filter((s) => packageOf(s) !== undefined)));
  return [...own, ...[...bare].sort()];
}

/**
 * Fills RUNTIME/app/compile-cache with the runtime's own node, chrooted where the runtime is at
 * /corepod, as in every pod: Node keys its cache by the modules' absolute paths.
 */
export function fillCompileCache(runtimeDir: string): number {
  const appDir = path.join(runtimeDir, 'app');
  const cache = path.join(appDir, COMPILE_CACHE_DIR);
  fs.rmSync(cache, { recursive: true, force: true });
  fs.mkdirSync(cache);
  const entryName = '.fill-compile-cache.mjs';
  const modules = modulesToLoad(appDir);
  fs.writeFileSync(
    path.join(appDir, entryName),
    [
      "import module from 'node:module';",
      `module.enableCompileCache(${JSON.stringify(`${RUNTIME_MOUNT_PATH}/app/${COMPILE_CACHE_DIR}`)});`,
      `for (const specifier of ${JSON.stringify(modules)}) await import(specifier);`,
      'module.flushCompileCache();',
    ].join('\n'),
  );
  try {
    runInRuntimeRoot(runtimeDir, [`${RUNTIME_MOUNT_PATH}/node`, `${RUNTIME_MOUNT_PATH}/app/${entryName}`]);
  } finally {
    fs.rmSync(path.join(appDir, entryName));
  }
  if (fs.readdirSync(cache).length === 0) throw new Error(`${cache}: the runtime's node wrote no cache`);
  return modules.length;
}

if (invokedAsScript(import.meta.url)) {
  const runtimeDir = process.argv[2];
  if (!runtimeDir) {
    process.stderr.write('usage: fill-compile-cache RUNTIME_DIR\n');
    process.exit(2);
  }
  const count = fillCompileCache(path.resolve(runtimeDir));
  process.stdout.write(`compile cache: ${count} modules\n`);
}
