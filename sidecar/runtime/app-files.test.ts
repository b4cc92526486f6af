import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importSpecifiers, packageOf, reachable } from './app-files.js';

test('static imports, re-exports and literal dynamic imports are found; computed ones are not', () => {
  const source = [
    "import fs from 'node:fs';",
    "import { a, b } from './a.js';",
    "import './side-effect.js';",
    'import type_ from "zod";',
    "export { x } from './x.js';",
    "export * from '../y.js';",
    "const m = await import('./lazy.js');",
    'const n = () => import(specifier);',
    '// import nothing from here',
  ].join('\n');
  assert.deepEqual(importSpecifiers(source).sort(), ['../y.js', './a.js', './lazy.js', './side-effect.js', './x.js', 'node:fs', 'zod'].sort());
});

test('package names of bare specifiers', () => {
  assert.equal(packageOf('zod'), 'zod');
  assert.equal(packageOf('zod/v4'), 'zod');
  assert.equal(packageOf('@kubernetes/client-node/dist/x.js'), '@kubernetes/client-node');
  assert.equal(packageOf('node:fs'), undefined);
  assert.equal(packageOf('./a.js'), undefined);
});

test('the walk follows relative imports only and collects the packages', () => {
  const files: Record<string, string> = {
    '/r/bin/main.js': "import '../dist/cli.js';",
    '/r/dist/cli.js': "import { z } from 'zod';\nconst run = () => import('./run.js');\nconst ext = (s) => import(s);",
    '/r/dist/run.js': "import YAML from 'yaml';\nimport { cli } from './cli.js';",
    '/r/dist/unused.js': "import '@kubernetes/client-node';",
  };
  const result = reachable(['/r/bin/main.js'], { read: (f) => files[f]!, exists: (f) => f in files });
  assert.deepEqual(result.files, ['/r/bin/main.js', '/r/dist/cli.js', '/r/dist/run.js']);
  assert.deepEqual(result.packages, ['yaml', 'zod']);
});

test('a missing module is an error naming it', () => {
  assert.throws(() => reachable(['/r/a.js'], { read: () => "import './b.js';", exists: (f) => f === '/r/a.js' }), /\/r\/b\.js: imported but missing/);
});
