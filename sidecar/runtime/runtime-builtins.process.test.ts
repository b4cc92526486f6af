// The modules the sidecar runtime ships load no undici: an ES import of node:http does on Node >= 22
// (its lazy WebSocket getters), about 8 MiB of resident memory in every sidecar-init
// (lib/node-http.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FS_READER, reachable } from './app-files.js';
import { REPO } from '../test-helpers.js';

test("importing every module of the sidecar runtime loads no undici (node:http's lazy WebSocket getters)", () => {
  const { files } = reachable([path.join(REPO, 'bin/corepod.js')], FS_READER);
  // The entry points run the CLI when imported; everything they import is in the list.
  const modules = files.filter((f) => !/(bin\/corepod|cli\/main)\.js$/.test(f));
  assert.ok(
    modules.some((f) => f.endsWith('dist/sidecar/health-server.js')),
    'the supervisor modules are in the list',
  );
  const report = "process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));";
  const undiciAfter = (imports: string) =>
    JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', `${imports}\n${report}`], { cwd: REPO, encoding: 'utf8' })) as string[];
  assert.deepEqual(undiciAfter(modules.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n')), []);
  // The control: on this Node an ES import of node:http does load undici, so the check above can fail.
  assert.notDeepEqual(undiciAfter("import 'node:http';"), []);
});
