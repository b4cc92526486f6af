// Two operator replicas with leader election, as child processes, kept at two as a Deployment
// would: a replica that exits (killed by the soak, or after losing its lease) is started again a
// second later. Every exit is recorded with whether the soak caused it or the lease was lost; the
// output is scanned for crashes and the resident memory sampled.
import { rssBytes } from '../../lib/procfs.js';
import { startOperator, type OperatorProcess } from '../support/cluster-env.js';
import { crashInLine, type RssSample } from './invariants.js';

export interface OperatorExit {
  at: number;
  identity: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** killed by the soak */
  injected: boolean;
  leaseLost: boolean;
}

interface Replica {
  identity: string;
  process: OperatorProcess;
  scanned: number;
  stderrScanned: number;
  killed: boolean;
}

export class OperatorReplicas {
  readonly exits: OperatorExit[] = [];
  readonly rss: RssSample[] = [];
  private readonly replicas = new Map<number, Replica>();
  private incarnations = 0;
  private stopping = false;

  constructor(
    private readonly args: string[],
    private readonly now: () => number,
    private readonly onCrash: (identity: string, why: string) => void,
    private readonly log: (msg: string) => void,
  ) {}

  async start(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, slot) => this.startSlot(slot)));
  }

  private async startSlot(slot: number): Promise<void> {
    while (!this.stopping) {
      const identity = `soak-${slot}-${++this.incarnations}`;
      try {
        const process = await startOperator([...this.args, '--identity', identity]);
        const replica: Replica = { identity, process, scanned: 0, stderrScanned: 0, killed: false };
        this.replicas.set(slot, replica);
        void process.exited.then(() => this.exited(slot, replica));
        return;
      } catch (error) {
        this.log(`operator ${identity} did not start (${(error as Error).message.slice(0, 200)}); again in 2 s`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  private exited(slot: number, replica: Replica): void {
    this.scan(replica);
    const { child } = replica.process;
    const leaseLost = replica.process.logs.some((l) => l.msg === 'leadership lost; exiting');
    const exit: OperatorExit = { at: this.now(), identity: replica.identity, code: child.exitCode, signal: child.signalCode, injected: replica.killed, leaseLost };
    // The soak's own SIGTERM at the end is no fault.
    if (!this.stopping) {
      this.exits.push(exit);
      const why = replica.killed ? 'killed by the soak' : leaseLost ? 'lost its lease' : `exited unexpectedly (code ${exit.code}, signal ${exit.signal})`;
      this.log(`operator ${replica.identity} ${why}; starting a new replica in 1 s`);
      if (!replica.killed && !leaseLost) this.onCrash(replica.identity, why);
      if (this.replicas.get(slot) === replica) this.replicas.delete(slot);
      setTimeout(() => void this.startSlot(slot), 1000);
    }
  }

  /** The replica that leads: alive and said `became leader` (each incarnation leads at most once). */
  leader(): Replica | undefined {
    return [...this.replicas.values()].find(
      (r) => r.process.child.exitCode === null && r.process.child.signalCode === null && r.process.logs.some((l) => l.msg === 'became leader'),
    );
  }

  killLeader(): string | undefined {
    const leader = this.leader();
    if (!leader) return undefined;
    leader.killed = true;
    leader.process.child.kill('SIGKILL');
    return leader.identity;
  }

  /** Scans new output for crashes and samples each live replica's RSS. */
  sample(): void {
    for (const replica of this.replicas.values()) {
      this.scan(replica);
      const pid = replica.process.child.pid;
      const bytes = pid === undefined ? undefined : rssBytes(pid);
      if (bytes !== undefined) this.rss.push({ at: this.now(), process: replica.identity, rssBytes: bytes });
    }
  }

  private scan(replica: Replica): void {
    const { logs } = replica.process;
    for (; replica.scanned < logs.length; replica.scanned++) {
      const line = logs[replica.scanned]!;
      const why = crashInLine(typeof line.raw === 'string' ? line.raw : JSON.stringify(line));
      if (why) this.onCrash(replica.identity, why);
    }
    const stderr = replica.process.stderr();
    const fresh = stderr.slice(replica.stderrScanned);
    const end = fresh.lastIndexOf('\n') + 1;
    replica.stderrScanned += end;
    for (const line of fresh.slice(0, end).split('\n')) {
      const why = crashInLine(line);
      if (why) this.onCrash(replica.identity, `stderr: ${why}`);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.replicas.values()].map((r) => r.process.stop('SIGTERM')));
    for (const r of this.replicas.values()) this.scan(r);
  }
}
