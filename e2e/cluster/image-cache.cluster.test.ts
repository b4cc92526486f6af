// The image helper's archive cache: a rebuild with the same inputs is the same archive; a change
// of input makes a new one and only the newest two of a tag are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage } from './cluster.js';

test('each tag keeps its newest two archives; other tags and cache hits are left alone', async (t) => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-image-cache-'));
  t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
  const binary = path.join(cache, 'payload');
  const build = async (tag: string, content: string) => {
    fs.writeFileSync(binary, content);
    return buildImage({ tag, binary }, cache);
  };
  const archives = () =>
    fs
      .readdirSync(path.join(cache, 'images'))
      .filter((name) => name.endsWith('.tar'))
      .sort();

  const other = await build('corepod-test/other:1.0', 'other');
  // A tag that only starts like another (its archives match app:1.0's glob) is not an older app:1.0.
  const lookalike = await build('corepod-test/app:1.0-x', 'x');
  const built: string[] = [];
  for (const version of ['a', 'b', 'c', 'd']) built.push(await build('corepod-test/app:1.0', version));
  assert.equal(new Set(built).size, 4, 'every input change is a new archive');
  const expected = [other, lookalike, built[2]!, built[3]!].map((file) => path.basename(file)).sort();
  assert.deepEqual(archives(), expected);

  // Same inputs again: the cached archive, nothing removed.
  assert.equal(await build('corepod-test/app:1.0', 'c'), built[2]);
  assert.deepEqual(archives(), expected);
});
