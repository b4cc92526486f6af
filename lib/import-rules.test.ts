// The layering rule of docs/architecture.md, checked over the source tree: operator/ and sidecar/
// never import each other; the neutral layers (kube/, contract/, lib/, crds/corepod-names.ts)
// import neither, and load no zod at run time (the long-lived sidecar-init imports them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NEUTRAL = ['kube/', 'contract/', 'lib/', 'crds/corepod-names.ts'];

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

/** Every static and dynamic import of a file, resolved to a repo path or a package name. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  const pattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(pattern)) {
    const spec = m[3] ?? m[4] ?? m[5]!;
    const to = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
    found.push({ from: file, to, typeOnly: m[2] !== undefined });
  }
  return found;
}

const all = [...sources('operator'), ...sources('sidecar'), ...sources('plugin'), ...sources('kube'), ...sources('contract'), ...sources('lib'), ...sources('crds')].flatMap(
  (file) => importsOf(file, fs.readFileSync(path.join(root, file), 'utf8')),
);

const under = (file: string, dir: string) => file === dir || file.startsWith(dir);

test('the import scanner sees static, type-only, re-exported and dynamic imports', () => {
  const text = "import a from './a.js';\nimport type { B } from '../b.js';\nexport { C } from './c.js';\nconst d = await import('./d.js');\nimport 'zod';\n";
  assert.deepEqual(importsOf('sidecar/x/y.ts', text), [
    { from: 'sidecar/x/y.ts', to: 'sidecar/x/a.ts', typeOnly: false },
    { from: 'sidecar/x/y.ts', to: 'sidecar/b.ts', typeOnly: true },
    { from: 'sidecar/x/y.ts', to: 'sidecar/x/c.ts', typeOnly: false },
    { from: 'sidecar/x/y.ts', to: 'sidecar/x/d.ts', typeOnly: false },
    { from: 'sidecar/x/y.ts', to: 'zod', typeOnly: false },
  ]);
});

test('nothing under sidecar/ imports operator/, and nothing under operator/ imports sidecar/', () => {
  const crossing = all.filter((i) => (under(i.from, 'sidecar/') && under(i.to, 'operator/')) || (under(i.from, 'operator/') && under(i.to, 'sidecar/')));
  assert.deepEqual(
    crossing.map((i) => `${i.from} -> ${i.to}`),
    [],
  );
});

test('nothing under plugin/ imports operator/', () => {
  const crossing = all.filter((i) => under(i.from, 'plugin/') && under(i.to, 'operator/'));
  assert.deepEqual(
    crossing.map((i) => `${i.from} -> ${i.to}`),
    [],
  );
});

test('the neutral layers import neither operator/ nor sidecar/', () => {
  const upward = all.filter((i) => NEUTRAL.some((n) => under(i.from, n)) && (under(i.to, 'operator/') || under(i.to, 'sidecar/')));
  assert.deepEqual(
    upward.map((i) => `${i.from} -> ${i.to}`),
    [],
  );
});

test('the neutral layers load no zod at run time (type-only imports of the schema are erased)', () => {
  const heavy = all.filter((i) => NEUTRAL.some((n) => under(i.from, n)) && !i.typeOnly && !i.from.endsWith('.test.ts') && (i.to === 'zod' || i.to === 'crds/corepod-schema.ts'));
  assert.deepEqual(
    heavy.map((i) => `${i.from} -> ${i.to}`),
    [],
  );
});
