// Acts on the program control requests of this pod's CorePod (contract/control-request.ts) through
// the supervisor's command path, the one the control socket uses, each request once. Fed every
// version of the CorePod by whatever watches it (own-corepod-watch.ts); reports what it did
// through `report`, which writes status.pods[<pod>].handledRequests.
import { REQUESTS_ANNOTATION, parseRequests, pendingFor, recordHandled, type ControlRequest, type HandledRequest, type ProgramResult } from '../../contract/control-request.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { normalizeSignal } from '../control-request.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SignalName } from '../process-state-machine.js';
import type { Action, CommandResult } from '../supervisor.js';
import type { ProcessStatus } from '../../crds/corepod-schema.js';

/** What of the supervisor program control needs (Supervisor has it). */
export interface ProgramControl {
  command(action: Action, target: string, timeoutMs?: number): Promise<CommandResult[]>;
  signal(target: string, signal: SignalName): CommandResult[];
  /** The programs now, for the pids after an action. */
  snapshot(): ProcessStatus[];
}

/** The parts of a CorePod the handler reads. */
export interface CorePodLike {
  metadata?: { annotations?: Record<string, string> };
  status?: { pods?: { name: string; handledRequests?: HandledRequest[] }[] };
}

export interface ControlRequestHandlerOptions {
  podName: string;
  control: ProgramControl;
  /** Makes the list of handled requests known (the status entry); called after each request. */
  report: (handled: readonly HandledRequest[]) => void;
  logger?: Logger;
  clock?: Clock;
  /** How long one start/stop/restart may take (the supervisor's command timeout). */
  commandTimeoutMs?: number;
}

export class ControlRequestHandler {
  private handled: HandledRequest[] = [];
  private readonly ids = new Set<string>();
  private seeded = false;
  private latest: CorePodLike | undefined;
  private draining: Promise<void> | undefined;
  private readonly logged = new Set<string>();
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: ControlRequestHandlerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
  }

  /** Every version of the CorePod; the first also says what this pod handled before (a restarted sidecar-init). */
  observe(corePod: CorePodLike): void {
    if (!this.seeded) {
      this.seeded = true;
      const entry = corePod.status?.pods?.find((p) => p.name === this.options.podName);
      for (const h of entry?.handledRequests ?? []) {
        this.handled = recordHandled(this.handled, h);
        this.ids.add(h.id);
      }
    }
    this.latest = corePod;
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** What this pod handled, newest last. */
  handledRequests(): readonly HandledRequest[] {
    return this.handled;
  }

  /** Resolves once the requests seen so far are acted on. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const { requests, problems } = parseRequests(this.latest?.metadata?.annotations?.[REQUESTS_ANNOTATION]);
      for (const problem of problems) this.warnOnce(problem);
      const next = pendingFor(this.options.podName, requests, this.ids)[0];
      if (!next) return;
      this.ids.add(next.id);
      const results = await this.act(next);
      this.handled = recordHandled(this.handled, { id: next.id, completedAt: new Date(this.clock.now()).toISOString(), results });
      this.logger.info('control request handled', { request: next.id, action: next.action, programs: next.programs.join(','), ok: results.every((r) => r.ok) });
      this.options.report(this.handled);
    }
  }

  private async act(request: ControlRequest): Promise<ProgramResult[]> {
    const results: ProgramResult[] = [];
    for (const program of request.programs) {
      try {
        if (request.action === 'signal') {
          const signal = normalizeSignal(request.signal ?? '');
          if (!signal) results.push({ name: program, ok: false, state: 'UNKNOWN', error: 'BAD_SIGNAL', message: `unknown signal "${request.signal ?? ''}"` });
          else results.push(...this.options.control.signal(program, signal).map(resultOf));
        } else results.push(...(await this.options.control.command(request.action, program, this.options.commandTimeoutMs ?? 60_000)).map(resultOf));
      } catch (error) {
        results.push({ name: program, ok: false, state: 'UNKNOWN', error: 'FAILED', message: (error as Error).message });
      }
    }
    const now = this.options.control.snapshot();
    return results.map((r) => {
      const pid = now.find((p) => p.name === r.name)?.pid;
      return pid !== undefined && r.state !== 'STOPPED' ? { ...r, pid } : r;
    });
  }

  private warnOnce(problem: string): void {
    if (this.logged.has(problem)) return;
    if (this.logged.size > 100) this.logged.clear();
    this.logged.add(problem);
    this.logger.warn('ignoring a control request', { problem });
  }
}

function resultOf(r: CommandResult): ProgramResult {
  return { name: r.name, ok: r.ok, state: r.state, ...(r.error ? { error: r.error } : {}), ...(r.message ? { message: r.message.slice(0, 1024) } : {}) };
}
