// 2. Log capture. (a) A child writes N MiB to stdout in 64 KiB writes; every supervisor writes it
// to a file rotated at the same maxBytes with the same backups (pm2: no rotation, it has none
// built in); MiB/s from the child's first write until every byte is in the files, `cat > file` as
// the ceiling. (b) A child writes 100-byte lines, one write(2) each: its own speed under each
// supervisor against `| cat > file`, CorePod with the JSON stdout mirror off and on (the mirror
// into a FIFO read by a consumer, as a container runtime reads it). The files are checked record
// by record: nothing may be lost or reordered.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CHILDREN } from './lib/paths.js';
import type { Bench, BenchContext } from './lib/bench.js';
import { allIn, startCorepod } from './lib/corepod-runner.js';
import { allStatus, startPm2 } from './lib/pm2-runner.js';
import { shellQuote, type ProgramDef } from './lib/program.js';
import type { BenchResult, Column, Row } from './lib/report.js';
import { cpuSeconds, descendants, readProc } from '../lib/procfs.js';
import { nowMs, sleep, withScope, type Scope } from './lib/scope.js';
import { waitFor } from '../lib/wait-for.js';
import { allStates, startSupervisord } from './lib/supervisord-runner.js';
import { CHUNK_BYTES, chunkChecker, chunkTemplate, lineChecker, type StreamCheck } from './children/log-format.js';

type Kind = 'chunks' | 'lines';
type Who = 'corepod' | 'corepod-mirror' | 'supervisord' | 'pm2' | 'baseline';

interface Sizes {
  chunkBytes: number;
  chunkMaxBytes: number;
  chunkBackups: number;
  lines: number;
  lineMaxBytes: number;
  lineBackups: number;
}
const MiB = 1024 * 1024;
const SIZES: Record<'tiny' | 'full', Sizes> = {
  tiny: { chunkBytes: 4 * MiB, chunkMaxBytes: 1 * MiB, chunkBackups: 10, lines: 20_000, lineMaxBytes: 512 * 1024, lineBackups: 10 },
  full: { chunkBytes: 256 * MiB, chunkMaxBytes: 16 * MiB, chunkBackups: 20, lines: 1_000_000, lineMaxBytes: 16 * MiB, lineBackups: 10 },
};

export interface CaptureRun {
  /** Child's own rate: MiB/s for chunks, thousands of lines/s for lines. */
  childRate: number;
  /** CPU seconds the writer spent writing. */
  childCpu: number;
  /** CPU seconds the capturing process (supervisor, pm2's God daemon, cat) spent meanwhile. */
  captureCpu: number;
  /** MiB/s from the first write until all bytes are in the files. */
  captureRate: number;
  check: StreamCheck;
  rotatedFiles: number;
  mirrorLines?: number;
  mirrorDropped?: number;
}

/** The log file and its rotated backups, oldest first. */
export function logFiles(file: string, backups: number): string[] {
  const out: string[] = [];
  for (let i = backups; i >= 1; i--) if (fs.existsSync(`${file}.${i}`)) out.push(`${file}.${i}`);
  if (fs.existsSync(file)) out.push(file);
  return out;
}

function totalSize(files: string[]): number {
  let sum = 0;
  for (const f of files) {
    try {
      sum += fs.statSync(f).size;
    } catch {
      // rotated away meanwhile
    }
  }
  return sum;
}

function verify(kind: Kind, files: string[], expected: number): StreamCheck {
  const checker = kind === 'chunks' ? chunkChecker() : lineChecker();
  for (const file of files) checker.feed(fs.readFileSync(file));
  return checker.finish(expected);
}

const NEWLINES_PER_CHUNK = chunkTemplate().reduce((n, byte) => n + (byte === 0x0a ? 1 : 0), 0);

async function capture(scope: Scope, who: Who, kind: Kind, sizes: Sizes, log: (m: string) => void): Promise<CaptureRun> {
  const dir = scope.tempDir(`logs-${who}`);
  const file = path.join(dir, 'out.log');
  const result = path.join(dir, 'result.json');
  const gate = path.join(dir, 'go');
  const maxBytes = kind === 'chunks' ? sizes.chunkMaxBytes : sizes.lineMaxBytes;
  const backups = kind === 'chunks' ? sizes.chunkBackups : sizes.lineBackups;
  const amount = kind === 'chunks' ? sizes.chunkBytes : sizes.lines;
  const writer = path.join(CHILDREN, kind === 'chunks' ? 'chunk-writer.js' : 'line-writer.js');
  const expectedRecords = kind === 'chunks' ? Math.ceil(amount / CHUNK_BYTES) : amount;
  const expectedBytes = kind === 'chunks' ? expectedRecords * CHUNK_BYTES : amount * 100;
  const expectedLines = kind === 'chunks' ? expectedRecords * NEWLINES_PER_CHUNK : amount;
  const program: ProgramDef = {
    name: 'writer',
    command: [process.execPath, writer, String(amount), result, gate],
    startSeconds: 0,
    autorestart: false,
    stdoutFile: file,
    maxBytes,
    backups,
    mirror: who === 'corepod-mirror',
  };
  const timeoutMs = 600_000;
  let stop: () => Promise<unknown> = async () => {};
  let capturer: () => number | undefined = () => undefined;
  let mirror: { status: () => Promise<number | undefined>; count: () => Promise<number> } | undefined;
  if (who === 'corepod' || who === 'corepod-mirror') {
    // The supervisor's stdout: a FIFO read by a consumer that counts the writer's JSON lines.
    const fifo = path.join(dir, 'stdout.fifo');
    const countFile = path.join(dir, 'mirror-count');
    execFileSync('mkfifo', [fifo]);
    const writeEnd = fs.openSync(fifo, 'r+');
    const readEnd = fs.openSync(fifo, 'r');
    const countFd = fs.openSync(countFile, 'w');
    const consumer = scope.spawn('grep', ['-cF', '"program":"writer","stream":"stdout"'], { stdio: [readEnd, countFd, 'ignore'] });
    fs.closeSync(readEnd);
    fs.closeSync(countFd);
    const corepod = startCorepod(scope, { programs: [program], stdout: writeEnd });
    fs.closeSync(writeEnd);
    const consumerDone = new Promise<void>((resolve) => consumer.once('exit', () => resolve()));
    stop = () => corepod.stop();
    capturer = () => corepod.supervisorPid();
    mirror = {
      status: async () => (await corepod.status()).programs[0]?.logs.mirrorDropped,
      count: async () => {
        await Promise.race([consumerDone, sleep(30_000)]);
        return Number(fs.readFileSync(countFile, 'utf8').trim() || 0);
      },
    };
    await corepod.waitStates(allIn('RUNNING', 'EXITED'), 'writer started', 60_000);
  } else if (who === 'supervisord') {
    const supervisord = startSupervisord(scope, [program]);
    stop = () => supervisord.stop();
    capturer = () => supervisord.pid;
    await supervisord.waitStates(allStates('RUNNING', 'EXITED'), 'writer started', 60_000);
  } else if (who === 'pm2') {
    const pm2 = await startPm2(scope, [program], log);
    stop = () => pm2.stop();
    capturer = () => pm2.godPid();
    await pm2.waitStates(allStatus('online', 'stopped'), 'writer started', 60_000);
  } else {
    const child = scope.spawn('sh', ['-c', `${program.command.map(shellQuote).join(' ')} | cat > ${shellQuote(file)}`]);
    stop = () => waitFor('cat pipeline exit', () => child.exitCode !== null, 60_000);
    const cat = await waitFor('cat', () => descendants(child.pid!).find((pid) => readProc(pid)?.comm === 'cat'), 30_000, 5);
    capturer = () => cat;
  }
  // The capturing process's CPU time, read until it is seen for the last time (cat exits at EOF).
  const capturerPid = capturer();
  const cpuAtStart = capturerPid === undefined ? undefined : cpuSeconds(capturerPid);
  let cpuLastSeen = cpuAtStart;
  const cpuNow = () => {
    const seconds = capturerPid === undefined ? undefined : cpuSeconds(capturerPid);
    if (seconds !== undefined) cpuLastSeen = seconds;
  };
  fs.writeFileSync(gate, '');
  const done = await waitFor(
    'writer result',
    () => {
      cpuNow();
      return fs.existsSync(result) && fs.statSync(result).size > 0
        ? (JSON.parse(fs.readFileSync(result, 'utf8')) as { first: number; last: number; cpuSeconds: number })
        : undefined;
    },
    timeoutMs,
    5,
  );
  const complete = await waitFor(
    `${expectedBytes} bytes in ${file}*`,
    () => {
      cpuNow();
      return totalSize(logFiles(file, backups)) >= expectedBytes ? nowMs() : undefined;
    },
    timeoutMs,
    2,
  );
  cpuNow();
  const mirrorDropped = await mirror?.status();
  await stop();
  const files = logFiles(file, backups);
  const check = verify(kind, files, expectedRecords);
  const childSeconds = (done.last - done.first) / 1000;
  const run: CaptureRun = {
    childRate: kind === 'chunks' ? expectedBytes / MiB / childSeconds : amount / 1000 / childSeconds,
    childCpu: done.cpuSeconds,
    captureCpu: cpuAtStart === undefined || cpuLastSeen === undefined ? Number.NaN : cpuLastSeen - cpuAtStart,
    captureRate: expectedBytes / MiB / ((complete - done.first) / 1000),
    check,
    rotatedFiles: files.length - 1,
  };
  if (mirror && who === 'corepod-mirror') {
    run.mirrorLines = await mirror.count();
    run.mirrorDropped = mirrorDropped ?? Number.NaN;
    if (run.mirrorLines + run.mirrorDropped !== expectedLines)
      log(`log-capture: mirror lines ${run.mirrorLines} + dropped ${run.mirrorDropped} != ${expectedLines} written (drops after the status read are not counted)`);
  }
  return run;
}

export const logCapture: Bench = {
  name: 'log-capture',
  title: '2. Log capture: 64 KiB writes to rotated files (MiB/s), 100-byte line writer speed',
  async run(context: BenchContext): Promise<BenchResult> {
    const sizes = SIZES[context.size];
    const peers: Who[] = [...context.peers].filter((p): p is 'supervisord' | 'pm2' => p === 'supervisord' || p === 'pm2');
    const runs: Record<string, CaptureRun> = {};
    for (const kind of ['chunks', 'lines'] as const) {
      for (const who of ['baseline', 'corepod', 'corepod-mirror', ...peers] as Who[]) {
        context.log(`log-capture: ${kind}, ${who}`);
        runs[`${kind}/${who}`] = await withScope((scope) => capture(scope, who, kind, sizes, context.log));
      }
    }
    const value = (kind: Kind, who: Who, f: (r: CaptureRun) => number | undefined): number | undefined => {
      const r = runs[`${kind}/${who}`];
      return r ? f(r) : undefined;
    };
    const columns = (kind: Kind, f: (r: CaptureRun) => number | undefined, corepodAs: Who = 'corepod'): Partial<Record<Column, number>> => {
      const out: Partial<Record<Column, number>> = {};
      const set = (column: Column, who: Who) => {
        const v = value(kind, who, f);
        if (v !== undefined) out[column] = v;
      };
      set('corepod', corepodAs);
      set('supervisord', 'supervisord');
      set('pm2', 'pm2');
      set('baseline', 'baseline');
      return out;
    };
    const lost = (r: CaptureRun) => r.check.missing + r.check.outOfOrder;
    const rows: Row[] = [
      {
        metric: '64 KiB writes → rotated files, mirror off',
        unit: 'MiB/s',
        decimals: 0,
        values: columns('chunks', (r) => r.captureRate),
        checks: [{ kind: 'ratio', against: 'supervisord', op: '>=', limit: 1.5 }],
      },
      { metric: '64 KiB writes → rotated files, mirror on', unit: 'MiB/s', decimals: 0, values: columns('chunks', (r) => r.captureRate, 'corepod-mirror') },
      {
        metric: '64 KiB writes: capturing process CPU per GiB, mirror off',
        unit: 's',
        decimals: 2,
        values: columns('chunks', (r) => (r.captureCpu / sizes.chunkBytes) * 1024 * MiB),
      },
      {
        metric: '64 KiB writes: capturing process CPU per GiB, mirror on',
        unit: 's',
        decimals: 2,
        values: columns('chunks', (r) => (r.captureCpu / sizes.chunkBytes) * 1024 * MiB, 'corepod-mirror'),
      },
      {
        metric: '100-byte lines: writer speed, mirror off',
        unit: 'k lines/s',
        decimals: 0,
        values: columns('lines', (r) => r.childRate),
        checks: [{ kind: 'ratio', against: 'baseline', op: '>=', limit: 0.9 }],
      },
      {
        metric: '100-byte lines: writer speed, mirror on',
        unit: 'k lines/s',
        decimals: 0,
        values: columns('lines', (r) => r.childRate, 'corepod-mirror'),
        checks: [{ kind: 'ratio', against: 'baseline', op: '>=', limit: 0.9 }],
      },
      {
        metric: '100-byte lines: capturing process CPU per million lines, mirror off',
        unit: 's',
        decimals: 2,
        values: columns('lines', (r) => (r.captureCpu / sizes.lines) * 1e6),
      },
      {
        metric: '100-byte lines: capturing process CPU per million lines, mirror on',
        unit: 's',
        decimals: 2,
        values: columns('lines', (r) => (r.captureCpu / sizes.lines) * 1e6, 'corepod-mirror'),
      },
      { metric: '100-byte lines: writer CPU per line, mirror off', unit: 'µs', decimals: 2, values: columns('lines', (r) => (r.childCpu / sizes.lines) * 1e6) },
      { metric: '100-byte lines: mirror lines dropped', unit: 'lines', decimals: 0, values: { corepod: value('lines', 'corepod-mirror', (r) => r.mirrorDropped) ?? Number.NaN } },
      { metric: '100-byte lines: mirror lines delivered', unit: 'lines', decimals: 0, values: { corepod: value('lines', 'corepod-mirror', (r) => r.mirrorLines) ?? Number.NaN } },
      { metric: '64 KiB writes: mirror lines dropped', unit: 'lines', decimals: 0, values: { corepod: value('chunks', 'corepod-mirror', (r) => r.mirrorDropped) ?? Number.NaN } },
      {
        metric: 'records lost or reordered in the files (all runs)',
        unit: 'records',
        decimals: 0,
        values: {
          corepod: Math.max(...(['corepod', 'corepod-mirror'] as Who[]).flatMap((who) => (['chunks', 'lines'] as Kind[]).map((kind) => value(kind, who, lost) ?? 0))),
          ...Object.fromEntries(
            (['supervisord', 'pm2', 'baseline'] as const).flatMap((who) =>
              runs[`chunks/${who}`] ? [[who, Math.max(value('chunks', who, lost) ?? 0, value('lines', who, lost) ?? 0)]] : [],
            ),
          ),
        },
        checks: [{ kind: 'absolute', op: '<=', limit: 0 }],
      },
    ];
    return {
      name: 'log-capture',
      title: this.title,
      baseline: '`cat > file` pipe',
      rows,
      notes: [
        `64 KiB writes: ${sizes.chunkBytes / MiB} MiB, files rotated at ${sizes.chunkMaxBytes / MiB} MiB with ${sizes.chunkBackups} backups (everything retained, so every byte is checked); lines: ${sizes.lines} lines of 100 bytes, rotated at ${sizes.lineMaxBytes / MiB} MiB with ${sizes.lineBackups} backups.`,
        'pm2 has no built-in rotation (pm2-logrotate checks every 30 s): its figures are for one unrotated file, which favours it.',
        "The target for 64 KiB writes is checked with the mirror off (supervisord has no mirror); mirror on is shown for what it costs. CPU rows: user+system seconds of the capturing process (CorePod's supervisor, supervisord, pm2's God daemon, cat) from the start of the writes until the files are complete, from /proc (10 ms ticks); they do not depend on the load of the machine the way speeds do.",
        "Mirror on: CorePod's stdout is a FIFO read by `grep -c` (a stand-in for the container runtime); drops are read from `corepod status` when the files are complete.",
        `Rotations (CorePod, mirror off): ${runs['chunks/corepod']?.rotatedFiles ?? '?'} files rotated for the 64 KiB test, ${runs['lines/corepod']?.rotatedFiles ?? '?'} for the lines.`,
      ],
      details: { sizes, runs },
    };
  },
};
