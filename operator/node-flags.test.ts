import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeFlagsOf, operatorNodeFlags } from './node-flags.js';

test('the node flags are the ENTRYPOINT arguments before the script', () => {
  assert.deepEqual(nodeFlagsOf('FROM x\nENTRYPOINT ["/usr/local/bin/node", "--a=1", "--b", "/opt/app.js", "operator"]\n'), ['--a=1', '--b']);
  assert.deepEqual(nodeFlagsOf('ENTRYPOINT ["/usr/local/bin/node", "/opt/app.js"]'), []);
  assert.throws(() => nodeFlagsOf('FROM x\n'), /no ENTRYPOINT/);
  assert.throws(() => nodeFlagsOf('ENTRYPOINT ["/usr/local/bin/node", "--a"]'), /no script/);
});

test("the operator image's flags bound the young generation: its peak memory under a burst of CorePods", () => {
  const flags = operatorNodeFlags();
  assert.ok(
    flags.some((f) => /^--max-semi-space-size=\d+$/.test(f)),
    flags.join(' '),
  );
});
