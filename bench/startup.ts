// 4. The reference layout (examples/dreamscape/corepod.yaml) from process start to all three
// programs healthy, as CorePod reports it (polled on its control socket), and to all three /health
// endpoints answering; supervisord on the same programs with the seed's startsecs (10/10/5) and no
// readiness gating, to all RUNNING. Tiny runs use a small layout of three Node services instead
// (free ports, no root needed).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Bench, BenchContext } from './lib/bench.js';
import { startCorepod } from './lib/corepod-runner.js';
import { healthEndpoints, loadSpec, programDefs, type Endpoint } from './lib/layout.js';
import { readImageRoot, specUnderRoot } from '../sidecar/image-root.js';
import { CHILDREN, REPO } from './lib/paths.js';
import type { BenchResult, Column } from './lib/report.js';
import { nowMs, sleep, withScope, type Scope } from './lib/scope.js';
import { waitFor } from '../lib/wait-for.js';
import { median } from './lib/stats.js';
import { allStates, startSupervisord } from './lib/supervisord-runner.js';

export const REFERENCE_LAYOUT = path.join(REPO, 'examples', 'dreamscape', 'corepod.yaml');
/** What the layout's image holds at / (`corepod run --root`). */
export const REFERENCE_ROOT = path.join(REPO, 'examples', 'dreamscape', 'rootfs');
/** startsecs of the seed's supervisord.conf. */
export const SEED_STARTSECS: Record<string, number> = { 'auth-service': 10, 'user-service': 10, nginx: 5 };
const SIZES = { tiny: { runs: 1 }, full: { runs: 5 } };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Three Node services with /health, each depending on the previous one. */
async function miniLayout(scope: Scope): Promise<string> {
  const dir = scope.tempDir('layout');
  const service = path.join(CHILDREN, 'http-service.js');
  const names = ['svc-a', 'svc-b', 'svc-c'];
  const programs = [];
  for (const [i, name] of names.entries()) {
    const port = await freePort();
    programs.push({
      name,
      command: [process.execPath, service, String(port)],
      priority: 10 * (i + 1),
      startSeconds: 1,
      ...(i > 0 ? { dependsOn: [names[i - 1]] } : {}),
      healthCheck: { httpGet: { port, path: '/health' }, periodSeconds: 1 },
    });
  }
  const file = path.join(dir, 'corepod.json');
  fs.writeFileSync(file, JSON.stringify({ image: 'bench', programs }, null, 2));
  return file;
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 500 }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 400);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** Ms after t0 at which each endpoint first answered 2xx/3xx, by program. */
async function endpointsUp(endpoints: Endpoint[], t0: number, timeoutMs: number): Promise<Record<string, number>> {
  const pending = new Map(endpoints.map((e) => [e.url, e.program]));
  const up: Record<string, number> = {};
  await waitFor(
    'the /health endpoints',
    async () => {
      for (const [url, program] of [...pending]) {
        if (await answers(url)) {
          pending.delete(url);
          up[program] = Math.round(nowMs() - t0);
        }
      }
      return pending.size === 0;
    },
    timeoutMs,
    10,
  );
  return up;
}

interface Timing {
  ready: number;
  endpoints: number;
  /** Per program, ms after t0: first seen with a pid, first seen ready (RUNNING, and healthy if checked), endpoint answering. */
  timeline: Record<string, { spawned?: number; ready?: number; endpoint?: number }>;
  /** CorePod: first answer on the control socket (the supervisor is up). */
  controlUp?: number;
}

function latest(up: Record<string, number>): number {
  return Math.max(...Object.values(up));
}

async function corepodRun(scope: Scope, file: string, endpoints: Endpoint[]): Promise<Timing> {
  const t0 = nowMs();
  const corepod = startCorepod(scope, { file, ...(file === REFERENCE_LAYOUT ? { args: ['--root', REFERENCE_ROOT] } : {}) });
  const up = endpointsUp(endpoints, t0, 60_000);
  const timeline: Timing['timeline'] = {};
  let socketUp: number | undefined;
  const isReady = (p: { state: string; hasHealthCheck: boolean; healthy?: boolean }) => p.state === 'RUNNING' && (!p.hasHealthCheck || p.healthy === true);
  await corepod.waitStates(
    (doc) => {
      const at = Math.round(nowMs() - t0);
      socketUp ??= at;
      for (const p of doc.programs) {
        const entry = (timeline[p.name] ??= {});
        if (p.pid !== undefined) entry.spawned ??= at;
        if (isReady(p)) entry.ready ??= at;
      }
      return doc.programs.length > 0 && doc.programs.every(isReady);
    },
    'all RUNNING and healthy',
    60_000,
    10,
  );
  const ready = nowMs() - t0;
  const endpointsMs = await up;
  for (const [program, at] of Object.entries(endpointsMs)) (timeline[program] ??= {}).endpoint = at;
  await corepod.stop();
  return { ready, endpoints: latest(endpointsMs), timeline, ...(socketUp !== undefined ? { controlUp: socketUp } : {}) };
}

async function supervisordRun(scope: Scope, file: string, endpoints: Endpoint[]): Promise<Timing> {
  const spec = loadSpec(file);
  const programs = programDefs(file === REFERENCE_LAYOUT ? specUnderRoot(spec, readImageRoot(REFERENCE_ROOT)) : spec, SEED_STARTSECS);
  const t0 = nowMs();
  const supervisord = startSupervisord(scope, programs);
  const up = endpointsUp(endpoints, t0, 60_000);
  const timeline: Timing['timeline'] = {};
  await supervisord.waitStates(
    (list) => {
      const at = Math.round(nowMs() - t0);
      for (const p of list) {
        const entry = (timeline[p.name] ??= {});
        if (p.pid > 0) entry.spawned ??= at;
        if (p.statename === 'RUNNING') entry.ready ??= at;
      }
      return allStates('RUNNING')(list);
    },
    'all RUNNING',
    60_000,
    20,
  );
  const ready = nowMs() - t0;
  const endpointsMs = await up;
  for (const [program, at] of Object.entries(endpointsMs)) (timeline[program] ??= {}).endpoint = at;
  await supervisord.stop();
  return { ready, endpoints: latest(endpointsMs), timeline };
}

export const startup: Bench = {
  name: 'startup',
  title: '4. Reference layout: process start → all healthy (CorePod) / all RUNNING (supervisord, seed startsecs)',
  async run(context: BenchContext): Promise<BenchResult> {
    const { runs } = SIZES[context.size];
    return withScope(async (outer) => {
      const file = context.size === 'tiny' ? await miniLayout(outer) : REFERENCE_LAYOUT;
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: the reference layout is written in examples/dreamscape/`);
      const endpoints = healthEndpoints(loadSpec(file));
      const busy = (await Promise.all(endpoints.map(async (e) => ((await answers(e.url)) ? e.url : undefined)))).filter(Boolean);
      if (busy.length > 0) throw new Error(`something already answers on ${busy.join(', ')}: stop it first (another DreamScape running?)`);
      const samples: Partial<Record<Column, Timing[]>> = { corepod: [] };
      if (context.peers.has('supervisord')) samples.supervisord = [];
      for (let i = 0; i < runs; i++) {
        context.log(`startup: corepod run ${i + 1}/${runs}`);
        samples.corepod!.push(await withScope((scope) => corepodRun(scope, file, endpoints)));
        await sleep(500);
        if (samples.supervisord) {
          context.log(`startup: supervisord run ${i + 1}/${runs}`);
          samples.supervisord.push(await withScope((scope) => supervisordRun(scope, file, endpoints)));
          await sleep(500);
        }
      }
      const pick = (f: (t: Timing) => number) => Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v!.map(f))])) as Partial<Record<Column, number>>;
      return {
        name: 'startup',
        title: this.title,
        rows: [
          {
            metric: 'start → all ready (CorePod: RUNNING + healthy; supervisord: RUNNING)',
            unit: 'ms',
            decimals: 0,
            values: pick((t) => t.ready),
            checks: [{ kind: 'absolute', op: '<=', limit: 1500 }],
          },
          { metric: 'start → all /health endpoints answer', unit: 'ms', decimals: 0, values: pick((t) => t.endpoints) },
          {
            metric: 'start → control socket answers (the supervisor is up)',
            unit: 'ms',
            decimals: 0,
            values: { corepod: median(samples.corepod!.map((t) => t.controlUp ?? Number.NaN)) },
          },
        ],
        notes: [
          `Layout: ${file === REFERENCE_LAYOUT ? `${path.relative(REPO, file)} with --root ${path.relative(REPO, REFERENCE_ROOT)} (supervisord: the same paths)` : 'three small Node services with /health, each depending on the previous (tiny run)'}; ${runs} run(s) each, median. t0 is just before spawning \`node bin/corepod.js run\` / \`supervisord -n\` (both include their interpreter start-up).`,
          `supervisord gets the same programs with startsecs ${JSON.stringify(SEED_STARTSECS)} (the seed's), priorities as in the layout; it has no readiness gating, so RUNNING says nothing about /health.`,
          ...Object.entries(samples).map(
            ([who, list]) =>
              `${who}, last run, ms after start (spawned / ready / endpoint answers): ${Object.entries(list!.at(-1)!.timeline)
                .map(([name, t]) => `${name} ${t.spawned ?? '?'} / ${t.ready ?? '?'} / ${t.endpoint ?? '?'}`)
                .join('; ')}`,
          ),
          "Readiness is polled every 10 ms on CorePod's control socket (20 ms on supervisord's XML-RPC); endpoints every 10 ms.",
        ],
        details: { file, samples },
      };
    });
  },
};
