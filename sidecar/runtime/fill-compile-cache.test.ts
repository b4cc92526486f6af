import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { modulesToLoad } from './fill-compile-cache.js';

test('the cache is filled from every module the CLI reaches but the entries that run it, and the packages as imported', (t) => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-app-'));
  t.after(() => fs.rmSync(app, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(app, file)), { recursive: true });
    fs.writeFileSync(path.join(app, file), text);
  };
  write('bin/corepod.js', "import '../dist/sidecar/cli/main.js';\n");
  write('dist/sidecar/cli/main.js', "import { a } from '../a.js';\nconst run = () => import('./run-command.js');\n");
  write('dist/sidecar/a.js', "import { z } from 'zod/v4';\nexport const a = 1;\n");
  write('dist/sidecar/cli/run-command.js', "import { parse } from 'yaml';\nimport fs from 'node:fs';\n");
  write('dist/sidecar/unused.js', 'export {};\n');
  assert.deepEqual(modulesToLoad(app), ['./dist/sidecar/a.js', './dist/sidecar/cli/run-command.js', 'yaml', 'zod/v4']);
});
