// The control API's request parser (pure): a method and a request target become one route, or an
// error with its HTTP status. Every limit of a parameter is applied here, so the handlers get
// values they can use as they are.
import { MAX_TIMER_MS } from '../lib/clock.js';
import type { SignalName } from './process-state-machine.js';
import { signalNumber } from './process-runner.js';

export type ProgramAction = 'start' | 'stop' | 'restart';

export type ControlRoute =
  | { kind: 'status' }
  | { kind: 'health' }
  | { kind: 'events' }
  | { kind: 'reload'; dryRun: boolean }
  | { kind: 'action'; action: ProgramAction; target: string; timeoutMs: number }
  | { kind: 'signal'; target: string; signal: SignalName }
  | { kind: 'log'; name: string; stream: 'stdout' | 'stderr'; bytes: number; follow: boolean };

export type ParsedRequest = { ok: true; route: ControlRoute } | { ok: false; status: 400 | 404 | 405; error: string };

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_TAIL_BYTES = 1600;

const refuse = (status: 400 | 404 | 405, error: string): ParsedRequest => ({ ok: false, status, error });
const route = (value: ControlRoute): ParsedRequest => ({ ok: true, route: value });

/** A non-negative integer parameter, `fallback` when absent; undefined when malformed. */
function count(text: string | null, fallback: number, max: number): number | undefined {
  if (text === null) return fallback;
  if (!/^[0-9]+$/.test(text)) return undefined;
  return Math.min(Number(text), max);
}

export function parseControlRequest(method: string, target: string): ParsedRequest {
  // Only a path is accepted as the target: "//host/x", "http://…" and "*" name no endpoint here.
  if (!target.startsWith('/') || target.startsWith('//')) return refuse(400, `malformed request target "${target.slice(0, 200)}"`);
  // Split by hand rather than with URL, which would resolve "." and ".." (a program's name is
  // whatever the client encoded).
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return refuse(400, `malformed percent-encoding in "${path.slice(0, 200)}"`);
  }
  const only = (allowed: string, value: ControlRoute): ParsedRequest => (method === allowed ? route(value) : refuse(405, `${path} takes ${allowed}, not ${method}`));
  if (path === '/v1/status') return only('GET', { kind: 'status' });
  if (path === '/v1/health') return only('GET', { kind: 'health' });
  if (path === '/v1/events') return only('GET', { kind: 'events' });
  if (path === '/v1/reload') return only('POST', { kind: 'reload', dryRun: query.get('dryRun') === '1' });
  if (parts[0] === 'v1' && parts[1] === 'programs' && parts.length === 4) {
    const [, , name, verb] = parts as [string, string, string, string];
    if (verb === 'start' || verb === 'stop' || verb === 'restart') {
      const timeoutMs = count(query.get('timeoutMs'), DEFAULT_TIMEOUT_MS, MAX_TIMER_MS);
      if (timeoutMs === undefined) return refuse(400, `timeoutMs: expected milliseconds, got "${query.get('timeoutMs')?.slice(0, 40)}"`);
      return only('POST', { kind: 'action', action: verb, target: name, timeoutMs });
    }
    if (verb === 'signal') {
      const text = query.get('signal') ?? '';
      const signal = normalizeSignal(text);
      if (!signal) return refuse(400, `unknown signal "${text.slice(0, 40)}"`);
      return only('POST', { kind: 'signal', target: name, signal });
    }
    if (verb === 'log') {
      const bytes = count(query.get('bytes'), DEFAULT_TAIL_BYTES, Number.MAX_SAFE_INTEGER);
      if (bytes === undefined) return refuse(400, `bytes: expected a byte count, got "${query.get('bytes')?.slice(0, 40)}"`);
      return only('GET', { kind: 'log', name, stream: query.get('stream') === 'stderr' ? 'stderr' : 'stdout', bytes, follow: query.get('follow') === '1' });
    }
  }
  return refuse(404, `no such endpoint: ${method.slice(0, 20)} ${path.slice(0, 200)}`);
}

/** "hup", "SIGHUP" or "1" → "HUP"; undefined if not a signal. */
export function normalizeSignal(input: string): SignalName | undefined {
  const trimmed = input.trim().toUpperCase();
  if (/^\d+$/.test(trimmed)) {
    const number = Number(trimmed);
    for (const name of SIGNAL_NAMES) if (signalNumber(name) === number) return name;
    return undefined;
  }
  const name = trimmed.startsWith('SIG') ? trimmed.slice(3) : trimmed;
  return (SIGNAL_NAMES as readonly string[]).includes(name) ? (name as SignalName) : undefined;
}

const SIGNAL_NAMES: readonly SignalName[] = ['TERM', 'INT', 'QUIT', 'HUP', 'KILL', 'USR1', 'USR2', 'CONT', 'STOP', 'WINCH', 'ALRM', 'PIPE', 'TSTP', 'TTIN', 'TTOU'];
