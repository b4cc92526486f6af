// `node chunk-writer.js TOTAL_BYTES RESULT_FILE [GATE_FILE]`: once GATE_FILE exists, writes
// TOTAL_BYTES to stdout in 64 KiB writes. Each 64 KiB block is text: a header line
// "chunk <12-digit number>" then filler lines, so the captured files can be checked block by
// block. Writes {first, last, cpuSeconds, bytes} to RESULT_FILE when done.
import fs from 'node:fs';
import { CHUNK_BYTES, chunkTemplate, stampChunk } from './log-format.js';
import { measured, waitForGate, writeAll } from './write-all.js';

const total = Number(process.argv[2]);
const resultFile = process.argv[3]!;
const chunks = Math.ceil(total / CHUNK_BYTES);
const buffer = chunkTemplate();
waitForGate(process.argv[4]);
const result = measured(() => {
  for (let i = 0; i < chunks; i++) {
    stampChunk(buffer, i);
    writeAll(buffer);
  }
});
fs.writeFileSync(resultFile, JSON.stringify({ ...result, bytes: chunks * CHUNK_BYTES }));
