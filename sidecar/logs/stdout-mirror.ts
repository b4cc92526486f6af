export type LogStream = 'stdout' | 'stderr';

/** Where program output lines go as JSON (the container's stdout, for `kubectl logs`). */
export interface LogMirror {
  line(program: string, stream: LogStream, msg: string): void;
  /** Lines dropped so far because the sink could not keep up. */
  dropped(): number;
  /**
   * Optional fast path for producers of many lines: false while the sink is saturated, in which
   * case the producer may skip decoding and report the skipped lines through `drop`.
   */
  accepting?(): boolean;
  drop?(lines: number): void;
}

export interface StdoutMirrorOptions {
  /**
   * JSON bytes that may wait for the sink (queued in the stream plus the current batch) before
   * lines are dropped. Default 1 MiB.
   */
  maxPendingBytes?: number;
  /** A batch is handed to the sink when it reaches this size, or at the end of the event-loop turn. Default 64 KiB. */
  batchBytes?: number;
  /** Clock for the `time` field (ms since the epoch). */
  now?: () => number;
}

const DEFAULT_MAX_PENDING = 1 << 20;
const DEFAULT_BATCH = 64 << 10;
/** Program name used for the mirror's own notices (a DNS label can't contain "/"). */
export const MIRROR_NOTICE_PROGRAM = 'corepod/log-mirror';

/**
 * One JSON line in pino's shape with the bindings program and stream:
 * {"time":<ms>,"program":"…","stream":"stdout","msg":"…"}
 */
export function formatMirrorLine(time: number, program: string, stream: LogStream, msg: string): string {
  return `{"time":${time},"program":${JSON.stringify(program)},"stream":"${stream}","msg":${JSON.stringify(msg)}}\n`;
}

type WritableWithState = NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean };

/**
 * The JSON mirror. Lines are formatted by hand in pino's JSON shape (pino's own per-call cost was
 * the bottleneck at a million lines per second), batched per event-loop turn, and written with a
 * bound on bytes waiting for the sink: past it, lines are dropped and counted, and once the sink
 * has caught up one notice line says how many were lost. Nothing here ever waits for the sink.
 */
export class StdoutMirror implements LogMirror {
  private readonly out: WritableWithState;
  private readonly maxPending: number;
  private readonly batchBytes: number;
  private readonly now: () => number;
  private readonly prefixes = new Map<string, string>();
  private batch = '';
  private batchTime = 0;
  private flushScheduled = false;
  /** Bytes handed to the sink whose write has not completed. */
  private inFlight = 0;
  private droppedLines = 0;
  private unreportedDrops = 0;
  private broken = false;
  private readonly flushBound = () => this.flush();

  constructor(out: NodeJS.WritableStream = process.stdout, options: StdoutMirrorOptions = {}) {
    this.out = out as WritableWithState;
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH;
    this.now = options.now ?? Date.now;
    // A closed stdout (EPIPE) must not kill the supervisor: from then on everything is dropped.
    this.out.on('error', () => {
      this.broken = true;
    });
  }

  accepting(): boolean {
    return !this.broken && this.inFlight + this.batch.length < this.maxPending;
  }

  line(program: string, stream: LogStream, msg: string): void {
    if (!this.accepting()) {
      this.drop(1);
      return;
    }
    if (this.batch.length === 0) this.batchTime = this.now();
    const key = stream === 'stdout' ? program : `${program}\u0000`;
    let prefix = this.prefixes.get(key);
    if (prefix === undefined) {
      prefix = `,"program":${JSON.stringify(program)},"stream":"${stream}","msg":`;
      this.prefixes.set(key, prefix);
    }
    this.batch += `{"time":${this.batchTime}${prefix}${JSON.stringify(msg)}}\n`;
    if (this.batch.length >= this.batchBytes) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  drop(lines: number): void {
    this.droppedLines += lines;
    this.unreportedDrops += lines;
  }

  dropped(): number {
    return this.droppedLines;
  }

  /** JSON bytes waiting for the sink. */
  pendingBytes(): number {
    return this.inFlight + this.batch.length;
  }

  /** Hands the current batch to the sink now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const data = this.batch;
    this.batch = '';
    this.send(data);
  }

  private send(data: string): void {
    if (this.broken || this.out.destroyed) {
      this.broken = true;
      return;
    }
    const length = data.length;
    this.inFlight += length;
    try {
      this.out.write(data, () => this.written(length));
    } catch {
      this.broken = true;
      this.inFlight -= length;
    }
  }

  private written(length: number): void {
    this.inFlight -= length;
    if (this.unreportedDrops > 0 && this.inFlight + this.batch.length < this.maxPending / 2) {
      const count = this.unreportedDrops;
      this.unreportedDrops = 0;
      this.send(formatMirrorLine(this.now(), MIRROR_NOTICE_PROGRAM, 'stderr', `log mirror: the sink was too slow, ${count} line(s) dropped`));
    }
  }
}

/** The container-stdout mirror: one JSON line {time, program, stream, msg} per output line, bounded, never blocking. */
export function createStdoutMirror(out?: NodeJS.WritableStream, options?: StdoutMirrorOptions): StdoutMirror {
  return new StdoutMirror(out ?? process.stdout, options);
}
