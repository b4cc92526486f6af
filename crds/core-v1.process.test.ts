import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CORE_V1_FILE, coreV1Json } from './core-v1.js';
import { coreV1FromModuleCache } from './core-v1-source.js';

test("crds/core-v1-openapi.json is what `make crds` cuts from Kubernetes' OpenAPI in the Go module cache", async () => {
  const generated = coreV1Json(await coreV1FromModuleCache());
  assert.equal(readFileSync(CORE_V1_FILE, 'utf8'), generated, 'crds/core-v1-openapi.json drifted: run `make crds`');
});
