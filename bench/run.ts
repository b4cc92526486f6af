// `node dist/bench/run.js [--tiny] [--repeat N] [--peers supervisord,pm2,s6] [name...]`: runs the
// benchmarks (all, or the named ones) with CorePod and its peers in the same run, prints one
// markdown table per benchmark and writes the JSON and markdown to bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PEER_NAMES, type Bench, type BenchContext, type PeerName, type Size } from './lib/bench.js';
import { machineFacts, formatMachine } from './lib/machine.js';
import { REPO } from './lib/paths.js';
import { formatResult, medianOf, rowOk, type BenchResult } from './lib/report.js';
import { closeAll } from './lib/scope.js';
import { BENCHES } from './benches.js';

const USAGE = `Usage: node dist/bench/run.js [--tiny] [--repeat N] [--peers supervisord,pm2,s6] [--out DIR] [NAME...]
Benchmarks: ${BENCHES.map((b) => b.name).join(', ')} (default: all)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      tiny: { type: 'boolean' },
      repeat: { type: 'string' },
      peers: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = positionals.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const repeat = Number(values.repeat ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    process.stderr.write(`--repeat: expected 1..20\n`);
    return 2;
  }
  const peers = new Set((values.peers ?? PEER_NAMES.join(',')).split(',').filter(Boolean));
  for (const peer of peers) {
    if (!(PEER_NAMES as readonly string[]).includes(peer)) {
      process.stderr.write(`--peers: unknown peer "${peer}"\n`);
      return 2;
    }
  }
  const selected: Bench[] = positionals.length > 0 ? BENCHES.filter((b) => positionals.includes(b.name)) : BENCHES;
  const size: Size = values.tiny ? 'tiny' : 'full';
  const context: BenchContext = {
    size,
    peers: peers as Set<PeerName>,
    log: (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`),
  };
  const before = await machineFacts();
  const results: BenchResult[] = [];
  const failures: string[] = [];
  for (const bench of selected) {
    const runs: BenchResult[] = [];
    for (let i = 0; i < repeat; i++) {
      context.log(`${bench.name}: run ${i + 1}/${repeat} (load ${os.loadavg()[0]!.toFixed(2)})`);
      try {
        runs.push(await bench.run(context));
      } catch (error) {
        failures.push(`${bench.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        context.log(`${bench.name} failed: ${String(error)}`);
        break;
      }
    }
    if (runs.length === 0) continue;
    const result = medianOf(runs);
    results.push(result);
    process.stdout.write(`\n${formatResult(result)}`);
  }
  const after = await machineFacts();
  const command = `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim();
  const machine = formatMachine(before, after);
  process.stdout.write(`\n${machine}\nCommand: \`${command}\`\n`);
  const verdicts = results.flatMap((r) =>
    r.rows.filter((row) => (row.checks ?? []).length > 0).map((row) => `${r.name} / ${row.metric}: ${rowOk(row) === true ? 'met' : rowOk(row) === false ? 'MISSED' : 'undecided'}`),
  );
  if (verdicts.length > 0) process.stdout.write(`\nTargets:\n${verdicts.map((v) => `  ${v}`).join('\n')}\n`);
  if (failures.length > 0) process.stdout.write(`\nFailed benchmarks:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);

  const outDir = values.out ?? path.join(REPO, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(outDir, `${stamp}-${size}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify({ command, size, repeat, machine: { before, after }, results, failures }, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, `# Benchmark run ${new Date().toISOString()}\n\n${machine}\nCommand: \`${command}\`\n\n${results.map(formatResult).join('\n')}`);
  process.stdout.write(`\nResults: ${base}.json, ${base}.md\n`);
  return failures.length > 0 ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void closeAll().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await closeAll();
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await closeAll();
    process.exitCode = 1;
  },
);
