import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readyFor, smallCorePod } from './corepod-ready-check.js';
import { CorePod } from '../../crds/corepod-schema.js';

const at = (generation: number, status: object) => ({ metadata: { generation }, status });
const ready = (observedGeneration: number, status = 'True') => ({ type: 'Ready', status, reason: 'AllProcessesReady', message: '', observedGeneration });

test('Ready counts only for the generation the apiserver holds', () => {
  assert.equal(readyFor(at(2, { conditions: [ready(2)] })), true);
  assert.equal(readyFor(at(3, { conditions: [ready(2)] })), false, 'a Ready from an older spec');
  assert.equal(readyFor(at(2, { conditions: [ready(2, 'False')] })), false);
  assert.equal(readyFor(at(2, { conditions: [{ ...ready(2), observedGeneration: undefined }], observedGeneration: 2 })), true, 'falls back to status.observedGeneration');
  assert.equal(readyFor(at(2, {})), false);
  assert.equal(readyFor(undefined), false);
});

test("the helm test's CorePod is valid under the CorePod schema", () => {
  const corePod = smallCorePod('ns', 'corepod-operator-test', 'localhost/corepod/operator:dev');
  assert.equal(CorePod.safeParse(corePod).success, true, JSON.stringify(CorePod.safeParse(corePod).error?.issues));
});
