import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corePodCrdYaml } from './crd-from-schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

test('crds/corepod.yaml is what `make crds` generates from the schema', () => {
  const checkedIn = readFileSync(`${repoRoot}crds/corepod.yaml`, 'utf8');
  assert.equal(checkedIn, corePodCrdYaml(), 'crds/corepod.yaml drifted from crds/corepod-schema.ts: run `make crds`');
});
