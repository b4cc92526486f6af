// `node dist/bench/metrics-bench.js [--programs 3,50] [--scrapes 200] [--interval 5]`: what
// /metrics of the sidecar-init costs (issue 13, item 8). For each count, two `corepod run`s of that
// many sleeping programs side by side, each program with an exec health check (so each has its
// probe histogram too):
//   - memory added by the metrics: the supervisors' PSS, private and RSS (lib/procfs.ts
//     memoryBreakdown) and V8's heapTotal (status --json), medians of one sample a second over a
//     window before the first scrape, and over another while one of the two (the other one is the
//     control) is scraped in OpenMetrics (as Prometheus asks) every INTERVAL seconds, after a
//     warm-up as long. Added = the scraped one's change minus the control's, which cancels what
//     age, load and GC do to both (prom-client is loaded by the first scrape);
//   - scrape time: the first scrape (loads prom-client), then SCRAPES in a row in the text format
//     and in OpenMetrics, timed by the client over loopback; the size and series of one.
// Prints a markdown table. Not a test; loopback only; every process and temp dir is removed.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { memoryBreakdown, type MemoryBreakdown } from '../lib/procfs.js';
import { parseSamples } from '../sidecar/metrics/exposition.js';
import { allIn, startCorepod } from './lib/corepod-runner.js';
import { formatMachine, machineFacts } from './lib/machine.js';
import { sleep, withScope } from './lib/scope.js';
import { median, p90 } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    programs: { type: 'string', default: '3,50' },
    scrapes: { type: 'string', default: '200' },
    settle: { type: 'string', default: '10' },
    interval: { type: 'string', default: '5' },
  },
});
const COUNTS = values.programs.split(',').map(Number);
const SCRAPES = Number(values.scrapes);
const SETTLE_MS = Number(values.settle) * 1000;
const INTERVAL_MS = Number(values.interval) * 1000;
/** Memory samples per window, one a second. */
const WINDOW = 30;
const MiB = 1024 * 1024;
const OPENMETRICS_ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const log = (message: string) => process.stderr.write(`[metrics-bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

interface Window {
  memory: MemoryBreakdown;
  heap: number;
}

interface Figures {
  programs: number;
  /** [scraped, control] before and after. */
  before: [Window, Window];
  after: [Window, Window];
  firstMs: number;
  textMs: number[];
  openMetricsMs: number[];
  bytes: number;
  series: number;
}

interface Subject {
  pid: number;
  heap: () => Promise<number>;
}

/** Samples both once a second for WINDOW seconds, running `tick` (a scrape) every INTERVAL_MS. */
async function memoryWindow(subjects: [Subject, Subject], tick?: () => Promise<unknown>): Promise<[Window, Window]> {
  const samples: [MemoryBreakdown[], MemoryBreakdown[]] = [[], []];
  const heaps: [number[], number[]] = [[], []];
  let next = 0;
  for (let i = 0; i < WINDOW; i++) {
    if (tick && i * 1000 >= next) {
      await tick();
      next += INTERVAL_MS;
    }
    for (const k of [0, 1] as const) {
      samples[k].push(memoryBreakdown(subjects[k].pid)!);
      heaps[k].push(await subjects[k].heap());
    }
    await sleep(1000);
  }
  const window = (k: 0 | 1): Window => {
    const of = (key: keyof MemoryBreakdown) => median(samples[k].map((s) => s[key]));
    return { memory: { rss: of('rss'), pss: of('pss'), anonymous: of('anonymous'), file: of('file'), private: of('private') }, heap: median(heaps[k]) };
  };
  return [window(0), window(1)];
}

async function timed(url: string, accept?: string): Promise<{ ms: number; body: string }> {
  const began = performance.now();
  const response = await fetch(url, accept ? { headers: { accept } } : {});
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  return { ms: performance.now() - began, body };
}

async function measure(count: number): Promise<Figures> {
  return withScope(async (scope) => {
    const dir = scope.tempDir('metrics');
    const file = path.join(dir, 'corepod.json');
    const programs = Array.from({ length: count }, (_, i) => ({
      name: `program-${String(i).padStart(2, '0')}`,
      command: ['sleep', '100000'],
      startSeconds: 0,
      healthCheck: { exec: { command: ['true'] }, periodSeconds: 30 },
    }));
    fs.writeFileSync(file, JSON.stringify({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: 'metrics-bench' }, spec: { image: 'bench', programs } }));
    const pair = [startCorepod(scope, { file }), startCorepod(scope, { file })] as const;
    const ups = await Promise.all(
      pair.map((corepod) =>
        corepod.waitStates((doc) => allIn('RUNNING')(doc) && doc.programs.every((p) => p.healthy === true), `${count} programs RUNNING and healthy`, 60_000, 200),
      ),
    );
    const subjects = pair.map((corepod) => ({ pid: corepod.supervisorPid()!, heap: async () => (await corepod.status()).supervisor.memory.heapTotalBytes })) as [Subject, Subject];
    const url = `http://127.0.0.1:${ups[0]!.supervisor.healthPort}/metrics`;
    log(`${count} programs up twice; settling ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const before = await memoryWindow(subjects);
    const first = await timed(url, OPENMETRICS_ACCEPT);
    const scrape = () => timed(url, OPENMETRICS_ACCEPT);
    await memoryWindow(subjects, scrape);
    const after = await memoryWindow(subjects, scrape);
    log('timing scrapes');
    const textMs: number[] = [];
    const openMetricsMs: number[] = [];
    let body = '';
    for (let i = 0; i < SCRAPES; i++) {
      const text = await timed(url);
      textMs.push(text.ms);
      body = text.body;
      openMetricsMs.push((await timed(url, OPENMETRICS_ACCEPT)).ms);
    }
    await Promise.all(pair.map((corepod) => corepod.stop()));
    return { programs: count, before, after, firstMs: first.ms, textMs, openMetricsMs, bytes: Buffer.byteLength(body), series: parseSamples(body).length };
  });
}

const mib = (bytes: number) => (bytes / MiB).toFixed(2);
const ms = (value: number) => value.toFixed(1);

const machineBefore = await machineFacts();
const results: Figures[] = [];
for (const count of COUNTS) results.push(await measure(count));
const machineAfter = await machineFacts();

const columns = results.map((r) => `${r.programs} programs`);
const row = (label: string, cell: (r: Figures) => string) => `| ${label} | ${results.map(cell).join(' | ')} |`;
/** The scraped one's change minus the control's. */
const added = (r: Figures, of: (w: Window) => number) => of(r.after[0]) - of(r.before[0]) - (of(r.after[1]) - of(r.before[1]));
const lines = [
  formatMachine(machineBefore, machineAfter),
  `Command: \`node dist/bench/metrics-bench.js --programs ${COUNTS.join(',')} --scrapes ${SCRAPES} --settle ${SETTLE_MS / 1000} --interval ${INTERVAL_MS / 1000}\``,
  '',
  `| metric | ${columns.join(' | ')} |`,
  `|---|${columns.map(() => '---').join('|')}|`,
  row('supervisor PSS before the first scrape, scraped / control, median (MiB)', (r) => `${mib(r.before[0].memory.pss)} / ${mib(r.before[1].memory.pss)}`),
  row('PSS added by the metrics (MiB)', (r) => mib(added(r, (w) => w.memory.pss))),
  row('private memory added (MiB)', (r) => mib(added(r, (w) => w.memory.private))),
  row('RSS added (MiB)', (r) => mib(added(r, (w) => w.memory.rss))),
  row('V8 heapTotal added (MiB)', (r) => mib(added(r, (w) => w.heap))),
  row('first scrape, loading prom-client (ms)', (r) => ms(r.firstMs)),
  row('scrape, text format, median (ms)', (r) => ms(median(r.textMs))),
  row('scrape, text format, p90 (ms)', (r) => ms(p90(r.textMs))),
  row('scrape, OpenMetrics, median (ms)', (r) => ms(median(r.openMetricsMs))),
  row('scrape, OpenMetrics, p90 (ms)', (r) => ms(p90(r.openMetricsMs))),
  row('one scrape: bytes / series', (r) => `${r.bytes} / ${r.series}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
