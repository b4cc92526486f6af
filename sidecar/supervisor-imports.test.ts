import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { FS_READER, reachable } from './runtime/app-files.js';

// One constant imported from the schema once loaded zod into every pod's supervisor (+12 MiB private).
test('the long-lived supervisor reaches neither zod nor yaml, statically or by a literal dynamic import', () => {
  const entry = fileURLToPath(new URL('./run-supervisor.js', import.meta.url));
  const { files, packages } = reachable([entry], FS_READER);
  assert.ok(files.length > 20, `only ${files.length} modules found from ${entry}`);
  assert.deepEqual(
    packages.filter((name) => name === 'zod' || name === 'yaml'),
    [],
  );
  assert.ok(!files.some((f) => f.endsWith('/crds/corepod-schema.js')), 'the zod schema module is reachable');
});
