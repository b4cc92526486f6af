// `node line-writer.js LINES RESULT_FILE [GATE_FILE]`: once GATE_FILE exists, writes LINES lines
// of 100 bytes to stdout, one write(2) per line (an unbuffered logger), each line starting with
// its 12-digit number. Writes {first, last, cpuSeconds, lines} to RESULT_FILE when done.
import fs from 'node:fs';
import { lineTemplate, stampLine } from './log-format.js';
import { measured, waitForGate, writeAll } from './write-all.js';

const lines = Number(process.argv[2]);
const resultFile = process.argv[3]!;
const buffer = lineTemplate();
waitForGate(process.argv[4]);
const result = measured(() => {
  for (let i = 0; i < lines; i++) {
    stampLine(buffer, i);
    writeAll(buffer);
  }
});
fs.writeFileSync(resultFile, JSON.stringify({ ...result, lines }));
