// Which files of the build the sidecar runtime needs: the compiled modules reachable from the CLI
// entry by static or literal dynamic imports (tests, the operator and the optional commands that
// main.ts loads by computed specifier stay out), and the npm packages they import, whole but
// without TypeScript sources, declarations and source maps.
import fs from 'node:fs';
import path from 'node:path';
import { invokedAsScript } from '../../lib/command-line.js';

/** Module specifiers of static imports, re-exports and literal dynamic imports in compiled JS. */
export function importSpecifiers(source: string): string[] {
  const found = new Set<string>();
  const patterns = [/^\s*import\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm, /^\s*export\s+[^'";]*?\s+from\s+['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1]!);
  return [...found];
}

/** The npm package a bare specifier names ('zod/v4' → 'zod', '@a/b/c' → '@a/b'); undefined for node: and relative ones. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export interface Reader {
  read(file: string): string;
  exists(file: string): boolean;
}

/** The files themselves. */
export const FS_READER: Reader = { read: (f) => fs.readFileSync(f, 'utf8'), exists: (f) => fs.existsSync(f) };

/** Walks relative imports from the entries (absolute paths); returns the files and the packages used. */
export function reachable(entries: readonly string[], reader: Reader): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    if (!reader.exists(file)) throw new Error(`${file}: imported but missing (run npm run build)`);
    files.add(file);
    for (const specifier of importSpecifiers(reader.read(file))) {
      const pkg = packageOf(specifier);
      if (pkg) packages.add(pkg);
      else if (specifier.startsWith('.')) queue.push(path.resolve(path.dirname(file), specifier));
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

const SKIP = /(\.d\.[cm]?ts|\.map|\.md|\.ts)$/;

/** The files of a package and of its dependencies, recursively (paths relative to `root`). */
export function packageFiles(root: string, names: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const dir = path.join(root, 'node_modules', name);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, entry.name);
        if (entry.isDirectory()) {
          if (d === dir && (entry.name === 'src' || entry.name === 'node_modules')) continue;
          walk(full);
        } else if (entry.isFile() && !SKIP.test(entry.name)) out.push(path.relative(root, full));
      }
    };
    walk(dir);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency);
  };
  for (const name of names) visit(name);
  return out.sort();
}

/** CLI: prints the runtime's app files (relative to the repo root), one per line. */
function main(): void {
  const root = path.resolve(process.argv[2] ?? '.');
  const { files, packages } = reachable([path.join(root, 'bin/corepod.js')], FS_READER);
  const lines = [...files.map((f) => path.relative(root, f)), ...packageFiles(root, packages)];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (invokedAsScript(import.meta.url)) main();
