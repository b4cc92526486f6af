import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { validateArgs } from './validate-child.js';

test('the validating child starts from the snapshot when the runtime has one, else from the CLI, with our node options', () => {
  assert.deepEqual(validateArgs('/etc/corepod/corepod.json', '/corepod/app/validate.blob', ['--max-old-space-size=64']), [
    '--max-old-space-size=64',
    '--snapshot-blob',
    '/corepod/app/validate.blob',
    'validate',
    '--json',
    '-f',
    '/etc/corepod/corepod.json',
  ]);
  assert.deepEqual(validateArgs('c.yaml', undefined, []), [fileURLToPath(new URL('./cli/main.js', import.meta.url)), 'validate', '--json', '-f', 'c.yaml']);
});
