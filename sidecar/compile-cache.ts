// The bundled runtime carries V8's compiled code of its own modules (app/compile-cache, filled by
// build-runtime), so each pod loads code instead of compiling every module at start. Node keys it
// by the modules' absolute paths: it serves the runtime at /corepod, where every pod mounts it.
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDir } from './run-dir.js';

/** The cache's directory, next to the runtime's package.json (app/ in the runtime, the repo root in a checkout). */
export const COMPILE_CACHE_DIR = 'compile-cache';

/** Node keeps a cache in DIR/<node version>-<arch>-<V8 tag>-<uid>: the build fills the one of uid 0. */
const BUILT_FOR = /^(v\d+\.\d+\.\d+-[^-]+-[0-9a-f]+)-0$/;

/**
 * Uses the runtime's compile cache when there is one; a checkout (or Node < 22) has none and
 * compiles as usual. Another uid than the build's (a pod's runAsUser) finds it through a link in
 * its own run directory, since Node looks for the cache under its uid.
 */
export function useBundledCompileCache(uid: number = process.getuid?.() ?? 0): void {
  if (typeof module.enableCompileCache !== 'function') return;
  const bundled = fileURLToPath(new URL(`../../${COMPILE_CACHE_DIR}`, import.meta.url));
  let entries: string[];
  try {
    entries = fs.readdirSync(bundled);
  } catch {
    return;
  }
  const built = entries.map((entry) => BUILT_FOR.exec(entry)).find((match) => match?.[1]?.startsWith(`${process.version}-${process.arch}-`));
  if (!built) return;
  if (uid === 0) {
    module.enableCompileCache(bundled);
    return;
  }
  const directory = linkedCache(path.join(bundled, built[0]), `${built[1]}-${uid}`, uid);
  if (directory) module.enableCompileCache(directory);
}

/** A directory of ours whose NAME links to the built cache; undefined when there is none we can trust. */
function linkedCache(target: string, name: string, uid: number): string | undefined {
  const directory = path.join(runDir(process.env, uid), COMPILE_CACHE_DIR);
  const link = path.join(directory, name);
  try {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    // Code from a cache is run as ours: the directory (and the run directory above it) must be
    // no one else's to fill.
    for (const dir of [path.dirname(directory), directory]) {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o022) !== 0) return undefined;
    }
    try {
      fs.symlinkSync(target, link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || fs.readlinkSync(link) !== target) return undefined;
    }
    return directory;
  } catch {
    return undefined;
  }
}
