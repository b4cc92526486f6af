// Health probes: HTTP GET (2xx/3xx), TCP connect, exec (exit 0). Every probe settles within its
// timeout whatever the target does; an exec probe that overruns has its process group killed.
import { spawn } from 'node:child_process';
import { http } from '../lib/node-http.js';
import net from 'node:net';
import type { HealthCheckSpec } from '../crds/corepod-schema.js';
import type { SpawnRequest } from './process-runner.js';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  message?: string;
}

/** How an exec probe is started (same environment, directory and user as its program). */
export type ExecContext = Omit<SpawnRequest, 'command'>;

export interface Probe {
  /** Settles within check.timeoutSeconds, or at once (failed) when `abort` fires. */
  run(check: HealthCheckSpec, exec: ExecContext, abort?: AbortSignal): Promise<ProbeResult>;
}

type Settle = (ok: boolean, message?: string) => void;

function timed(timeoutMs: number, abort: AbortSignal | undefined, start: (settle: Settle) => () => void): Promise<ProbeResult> {
  const began = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let cleanup: () => void = () => {};
    const settle: Settle = (ok, message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      const latencyMs = Math.round((performance.now() - began) * 10) / 10;
      resolve(message === undefined ? { ok, latencyMs } : { ok, latencyMs, message });
    };
    const timer = setTimeout(() => settle(false, `timed out after ${timeoutMs / 1000}s`), timeoutMs);
    const onAbort = () => settle(false, 'aborted');
    if (abort?.aborted) return onAbort();
    abort?.addEventListener('abort', onAbort, { once: true });
    const stop = start(settle);
    cleanup = () => {
      abort?.removeEventListener('abort', onAbort);
      stop();
    };
    if (done) cleanup();
  });
}

function httpProbe(spec: NonNullable<HealthCheckSpec['httpGet']>, timeoutMs: number, abort?: AbortSignal): Promise<ProbeResult> {
  return timed(timeoutMs, abort, (settle) => {
    const request = http.get({ host: spec.host, port: spec.port, path: spec.path, agent: false, headers: { 'user-agent': 'corepod-probe' } }, (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      settle(status >= 200 && status < 400, `HTTP ${status}`);
    });
    request.on('error', (error) => settle(false, error.message));
    return () => request.destroy();
  });
}

function tcpProbe(spec: NonNullable<HealthCheckSpec['tcpSocket']>, timeoutMs: number, abort?: AbortSignal): Promise<ProbeResult> {
  return timed(timeoutMs, abort, (settle) => {
    const socket = net.connect({ host: spec.host, port: spec.port });
    socket.once('connect', () => settle(true));
    socket.once('error', (error) => settle(false, error.message));
    return () => socket.destroy();
  });
}

function execProbe(command: readonly string[], context: ExecContext, timeoutMs: number, abort?: AbortSignal): Promise<ProbeResult> {
  return timed(timeoutMs, abort, (settle) => {
    const argv = [...(context.prefix ?? []), ...command];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: context.workingDir,
      env: context.env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(context.uid !== undefined ? { uid: context.uid } : {}),
      ...(context.gid !== undefined ? { gid: context.gid } : {}),
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 200) stderr += chunk.toString();
    });
    let exited = false;
    child.once('error', (error) => settle(false, error.message));
    child.once('exit', (code, signal) => {
      exited = true;
      const detail = stderr.trim().split('\n')[0]?.slice(0, 200);
      settle(code === 0, code === 0 ? undefined : `exit ${code ?? signal}${detail ? `: ${detail}` : ''}`);
    });
    return () => {
      child.stderr?.destroy();
      if (!exited && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
  });
}

export const networkProbe: Probe = {
  run(check, exec, abort) {
    const timeoutMs = check.timeoutSeconds * 1000;
    if (check.httpGet) return httpProbe(check.httpGet, timeoutMs, abort);
    if (check.tcpSocket) return tcpProbe(check.tcpSocket, timeoutMs, abort);
    if (check.exec) return execProbe(check.exec.command, exec, timeoutMs, abort);
    return Promise.resolve({ ok: false, latencyMs: 0, message: 'no probe configured' });
  },
};
