// `node chunk-writer.js TOTAL_BYTES RESULT_FILE`: writes TOTAL_BYTES to stdout in 64 KiB writes.
// Each 64 KiB block is text: a header line "chunk <12-digit number>" then filler lines, so the
// captured files can be checked block by block. Writes {first, last, bytes} (wall-clock ms) to
// RESULT_FILE when done.
import fs from 'node:fs';
import { CHUNK_BYTES, chunkTemplate, stampChunk } from './log-format.js';
import { now, writeAll } from './write-all.js';

const total = Number(process.argv[2]);
const resultFile = process.argv[3]!;
const chunks = Math.ceil(total / CHUNK_BYTES);
const buffer = chunkTemplate();
const first = now();
for (let i = 0; i < chunks; i++) {
  stampChunk(buffer, i);
  writeAll(buffer);
}
const last = now();
fs.writeFileSync(resultFile, JSON.stringify({ first, last, bytes: chunks * CHUNK_BYTES }));
