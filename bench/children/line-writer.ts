// `node line-writer.js LINES RESULT_FILE`: writes LINES lines of 100 bytes to stdout, one write(2)
// per line (an unbuffered logger), each line starting with its 12-digit number. Writes
// {first, last, lines} (wall-clock ms) to RESULT_FILE when done.
import fs from 'node:fs';
import { lineTemplate, stampLine } from './log-format.js';
import { now, writeAll } from './write-all.js';

const lines = Number(process.argv[2]);
const resultFile = process.argv[3]!;
const buffer = lineTemplate();
const first = now();
for (let i = 0; i < lines; i++) {
  stampLine(buffer, i);
  writeAll(buffer);
}
const last = now();
fs.writeFileSync(resultFile, JSON.stringify({ first, last, lines }));
