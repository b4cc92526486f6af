// 3. Supervisor RSS with 3 and 50 sleeping programs, after settling: the median of samples over a
// window (V8's heap grows and shrinks with its GC cycles, so one sample would be luck). CorePod is
// measured standalone and as PID 1 of a pid namespace two ways: started by the pod's command
// (corepod-init, which execs tini with the supervisor under it) and as `node corepod.js run` made
// PID 1 directly (where it puts tini in front of itself: it execs tini, or on Node < 22.15,
// without process.execve, the PID-1 node stays as a signal-forwarding shim). Also the proportional (PSS), anonymous and
// file-backed parts, and in full runs trimming experiments with V8 flags.
import path from 'node:path';
import type { Bench, BenchContext } from './lib/bench.js';
import { allIn, startCorepod } from './lib/corepod-runner.js';
import { allStatus, startPm2 } from './lib/pm2-runner.js';
import { startPodInit } from './lib/pod-init.js';
import { descendants, memoryBreakdown, rssBytes } from '../lib/procfs.js';
import { CHILDREN } from './lib/paths.js';
import type { ProgramDef } from './lib/program.js';
import type { BenchResult, Column, Row } from './lib/report.js';
import { sleep, withScope, type Scope } from './lib/scope.js';
import { waitFor } from '../lib/wait-for.js';
import { median } from './lib/stats.js';
import { startS6 } from './lib/s6-runner.js';
import { allStates, startSupervisord } from './lib/supervisord-runner.js';

interface Sizes {
  counts: number[];
  settleMs: number;
  windowMs: number;
  intervalMs: number;
  experiments: string[][];
}
const SIZES: Record<'tiny' | 'full', Sizes> = {
  tiny: { counts: [3, 5], settleMs: 300, windowMs: 400, intervalMs: 200, experiments: [['--max-opt=2']] },
  full: {
    counts: [3, 50],
    settleMs: 10_000,
    windowMs: 20_000,
    intervalMs: 1000,
    // No TurboFan; interpreter only (no Sparkplug either); jitless. (--max-semi-space-size=1,
    // --v8-pool-size=1 and --optimize-for-size gained nothing in earlier runs.)
    experiments: [['--max-opt=2'], ['--max-opt=0'], ['--lite-mode']],
  },
};
const MiB = 1024 * 1024;

interface Figures {
  rss: number;
  pss: number;
  anonymous: number;
  /** Resident pages of files (the node binary's code and data, libraries): RSS − anonymous. */
  file: number;
}

/** Median RSS/PSS/anonymous (MiB) of each pid over the window after settling. */
async function sample(pids: () => (number | undefined)[], sizes: Sizes): Promise<Figures[]> {
  await sleep(sizes.settleMs);
  const series: { rss: number[]; pss: number[]; anonymous: number[]; file: number[] }[] = [];
  const end = Date.now() + sizes.windowMs;
  do {
    pids().forEach((pid, i) => {
      const s = (series[i] ??= { rss: [], pss: [], anonymous: [], file: [] });
      const breakdown = pid === undefined ? undefined : memoryBreakdown(pid);
      const rss = pid === undefined ? undefined : rssBytes(pid);
      if (rss !== undefined) s.rss.push(rss / MiB);
      if (breakdown) {
        s.pss.push(breakdown.pss / MiB);
        s.anonymous.push(breakdown.anonymous / MiB);
        s.file.push(breakdown.file / MiB);
      }
    });
    await sleep(sizes.intervalMs);
  } while (Date.now() < end);
  return series.map((s) => ({ rss: median(s.rss), pss: median(s.pss), anonymous: median(s.anonymous), file: median(s.file) }));
}

const sleepers = (count: number): ProgramDef[] =>
  Array.from({ length: count }, (_, i) => ({ name: `sleeper-${i}`, command: ['sleep', '86400'], startSeconds: 1, autorestart: true, stopWaitSeconds: 2 }));

type Who = 'corepod' | 'corepod-pid1' | 'corepod-init' | 'supervisord' | 'pm2' | 's6' | 'node-idle' | 'node-bare';

const total = (list: Figures[]): Figures => ({
  rss: list.reduce((sum, f) => sum + f.rss, 0),
  pss: list.reduce((sum, f) => sum + f.pss, 0),
  anonymous: list.reduce((sum, f) => sum + f.anonymous, 0),
  file: list.reduce((sum, f) => sum + f.file, 0),
});

/** [supervisor, tini] as the pod runs them, or undefined when corepod-init cannot be built here. */
async function measurePodInit(scope: Scope, programs: ProgramDef[], sizes: Sizes): Promise<Figures[] | undefined> {
  const pod = await startPodInit(scope, programs);
  if (!pod) return undefined;
  await pod.waitStates(['RUNNING'], `${programs.length} programs RUNNING`, 120_000);
  const figures = await sample(() => [pod.supervisorPid(), pod.tini], sizes);
  await pod.stop();
  return figures;
}

async function measure(who: Who, count: number, sizes: Sizes, nodeFlags: string[] = []): Promise<Figures[]> {
  return withScope(async (scope) => {
    const programs = sleepers(count);
    if (who === 'corepod' || who === 'corepod-pid1') {
      const corepod = startCorepod(scope, { programs, pid1: who === 'corepod-pid1', nodeFlags });
      await corepod.waitStates(allIn('RUNNING'), `${count} programs RUNNING`, 120_000, 100);
      const figures = await sample(() => [corepod.supervisorPid(), ...corepod.frontPids()], sizes);
      await corepod.stop();
      return figures;
    }
    if (who === 'supervisord') {
      const supervisord = startSupervisord(scope, programs);
      await supervisord.waitStates(allStates('RUNNING'), `${count} programs RUNNING`, 120_000, 100);
      const figures = await sample(() => [supervisord.pid], sizes);
      await supervisord.stop();
      return figures;
    }
    if (who === 'pm2') {
      const pm2 = await startPm2(scope, programs);
      await pm2.waitStates(allStatus('online'), `${count} programs online`, 120_000);
      const figures = await sample(() => [pm2.godPid()], sizes);
      await pm2.stop();
      return figures;
    }
    if (who === 's6') {
      const s6 = startS6(scope, programs);
      await s6.waitUp(`${count} programs up`, 120_000, 100);
      const pids = s6.supervisorPids();
      const figures = await sample(() => pids, sizes);
      await s6.stop();
      return [total(figures)];
    }
    if (who === 'corepod-init') return (await measurePodInit(scope, programs, sizes)) ?? [];
    if (who === 'node-bare') {
      const bare = scope.spawn(process.execPath, [path.join(CHILDREN, 'bare-supervisor.js'), String(count), path.join(scope.tempDir('bare'), 'control.sock')]);
      await waitFor(`${count} sleeps under the bare supervisor`, () => (descendants(bare.pid!).length >= count ? true : undefined), 60_000, 100);
      return sample(() => [bare.pid], sizes);
    }
    const idle = scope.spawn(process.execPath, [...nodeFlags, '-e', 'setInterval(() => {}, 1e6)']);
    return sample(() => [idle.pid], sizes);
  });
}

export const rss: Bench = {
  name: 'rss',
  title: '3. Supervisor RSS (MiB) with sleeping programs, after settling',
  async run(context: BenchContext): Promise<BenchResult> {
    const sizes = SIZES[context.size];
    const peers = [...context.peers];
    const rows: Row[] = [];
    const details: Record<string, unknown> = { sizes };
    context.log('rss: idle node');
    const idle = (await measure('node-idle', 0, sizes))[0]!;
    details.idle = idle;
    for (const count of sizes.counts) {
      const values: Partial<Record<Column, Figures>> = { baseline: idle };
      context.log(`rss: corepod, ${count} programs`);
      values.corepod = (await measure('corepod', count, sizes))[0];
      for (const peer of peers) {
        context.log(`rss: ${peer}, ${count} programs`);
        values[peer] = (await measure(peer, count, sizes))[0];
      }
      context.log(`rss: corepod as PID 1 by the pod's command (corepod-init), ${count} programs`);
      const [podSupervisor, podTini] = await measure('corepod-init', count, sizes);
      context.log(`rss: corepod as PID 1, node started directly, ${count} programs`);
      // [supervisor, tini] when node exec'd tini (process.execve), [supervisor, shim, tini] on older Node.
      const [supervisor, ...front] = await measure('corepod-pid1', count, sizes);
      const tini = front[front.length - 1];
      const shim = front.length > 1 ? front[0] : undefined;
      details[`n${count}`] = { ...values, podInit: { supervisor: podSupervisor, tini: podTini }, pid1: { supervisor, shim, tini } };
      const pick = (f: (x: Figures) => number) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, f(v!)])) as Partial<Record<Column, number>>;
      const last = count === sizes.counts[sizes.counts.length - 1];
      rows.push(
        {
          metric: `RSS, ${count} programs`,
          unit: 'MiB',
          values: pick((x) => x.rss),
          ...(last ? { checks: [{ kind: 'ratio' as const, against: 'supervisord' as const, op: '<=' as const, limit: 1.25 }] } : {}),
        },
        { metric: `PSS, ${count} programs`, unit: 'MiB', values: pick((x) => x.pss) },
        { metric: `anonymous (heap etc.), ${count} programs`, unit: 'MiB', values: pick((x) => x.anonymous) },
        { metric: `file-backed (code pages of the binary, libraries), ${count} programs`, unit: 'MiB', values: pick((x) => x.file) },
      );
      const ratioCheck = last ? { checks: [{ kind: 'ratio' as const, against: 'supervisord' as const, op: '<=' as const, limit: 1.25 }] } : {};
      const supervisordRss = values.supervisord ? { supervisord: values.supervisord.rss } : {};
      if (podSupervisor && podTini) {
        rows.push(
          { metric: `as PID 1 by the pod's command (corepod-init → tini → supervisor), ${count} programs: supervisor`, unit: 'MiB', values: { corepod: podSupervisor.rss } },
          { metric: `as PID 1 by the pod's command, ${count} programs: tini`, unit: 'MiB', values: { corepod: podTini.rss } },
          {
            metric: `as PID 1 by the pod's command, ${count} programs: total`,
            unit: 'MiB',
            values: { corepod: podSupervisor.rss + podTini.rss, ...supervisordRss },
            ...ratioCheck,
          },
        );
      }
      rows.push(
        { metric: `as PID 1, node corepod.js run directly, ${count} programs: supervisor`, unit: 'MiB', values: { corepod: supervisor?.rss ?? Number.NaN } },
        { metric: `as PID 1, node corepod.js run directly, ${count} programs: tini`, unit: 'MiB', values: { corepod: tini?.rss ?? Number.NaN } },
      );
      if (shim) rows.push({ metric: `as PID 1, node corepod.js run directly, ${count} programs: PID-1 node shim`, unit: 'MiB', values: { corepod: shim.rss } });
      rows.push({
        metric: `as PID 1, node corepod.js run directly, ${count} programs: total`,
        unit: 'MiB',
        values: { corepod: (supervisor?.rss ?? Number.NaN) + (tini?.rss ?? Number.NaN) + (shim?.rss ?? 0), ...supervisordRss },
      });
    }
    const count = sizes.counts[sizes.counts.length - 1]!;
    const supervisordRss = (details[`n${count}`] as Partial<Record<Column, Figures>>).supervisord?.rss;
    context.log(`rss: bare Node supervisor, ${count} programs`);
    const bare = (await measure('node-bare', count, sizes))[0]!;
    details.bare = bare;
    rows.push({
      metric: `floor: a bare Node supervisor (bench/children/bare-supervisor.ts: spawn + pipes + unix socket + HTTP, nothing else), ${count} programs`,
      unit: 'MiB',
      values: { baseline: bare.rss, ...(supervisordRss !== undefined ? { supervisord: supervisordRss } : {}) },
    });
    const floorNote =
      supervisordRss !== undefined
        ? [
            `Floor: a bare Node supervisor of ${count} sleeping programs uses ${bare.rss.toFixed(1)} MiB = ${(bare.rss / supervisordRss).toFixed(2)}× supervisord's ${supervisordRss.toFixed(1)} MiB; an idle node ${idle.rss.toFixed(1)} MiB = ${(idle.rss / supervisordRss).toFixed(2)}×.`,
          ]
        : [];
    for (const [i, flags] of sizes.experiments.entries()) {
      context.log(`rss: experiment ${flags.join(' ')}`);
      const corepod = (await measure('corepod', count, sizes, flags))[0]!;
      // The idle node with the same flags only for the last (all flags together): the new floor.
      const idleWith = i === sizes.experiments.length - 1 ? (await measure('node-idle', 0, sizes, flags))[0] : undefined;
      details[`experiment ${flags.join(' ')}`] = { corepod, idle: idleWith };
      rows.push({
        metric: `experiment: node ${flags.join(' ')}, ${count} programs`,
        unit: 'MiB',
        values: { corepod: corepod.rss, ...(idleWith ? { baseline: idleWith.rss } : {}), ...(supervisordRss !== undefined ? { supervisord: supervisordRss } : {}) },
      });
    }
    return {
      name: 'rss',
      title: this.title,
      baseline: 'idle node',
      rows,
      notes: [
        ...floorNote,
        `Median of samples every ${sizes.intervalMs} ms over ${sizes.windowMs / 1000} s, after all programs were RUNNING and ${sizes.settleMs / 1000} s more. Programs: \`sleep 86400\`, each supervisor's default output capture.`,
        'CorePod: the `corepod run` node process; supervisord: its python process; pm2: its God daemon; s6: s6-svscan plus one s6-supervise per program, summed. Baseline: `node -e "setInterval(() => {}, 1e6)"` (in the last experiment row, with the same flags).',
        "As PID 1 by the pod's command: `unshare --pid --fork --mount-proc corepod-init -f FILE` with corepod-init built from sidecar/runtime/corepod-init.c (host cc) in a runtime layout of this node, tini-static and the CLI under test; it execs tini, which runs the supervisor, so no second node. As PID 1 directly: `node bin/corepod.js run` made PID 1 itself, which execs tini (process.execve, Node ≥ 22.15), so again no second node; on older Node (no process.execve) it stays as a node shim in front of tini, a row of its own.",
        'File-backed: resident pages of the node binary and libraries (RSS − anonymous); they grow with the code paths run, e.g. by ~3.5 MiB once V8 compiles anything with TurboFan (--max-opt=2 row).',
        'Experiment rows: `corepod run` started as `node FLAGS bin/corepod.js run` (the flags reach its re-executions too); what the RSS would be if the pod command passed them. They trade speed of the capture path (measure with `COREPOD_BENCH_CLI` and log-capture), not shown here.',
        'PSS splits shared pages (the node binary, libraries) between the processes that map them, so it moves with how many other node/python processes run on the machine at the time; anonymous is private memory (V8 heap, malloc) and does not.',
      ],
      details,
    };
  },
};
