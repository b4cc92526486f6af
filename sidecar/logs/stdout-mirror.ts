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
  /** Optional: milliseconds a producer spent preparing lines for the mirror, counted against its CPU budget. */
  charge?(ms: number): void;
  /** Optional fast path: `count` lines joined by "\n" (no final newline), captured at one moment. */
  lines?(program: string, stream: LogStream, text: string, count: number): void;
}

export interface StdoutMirrorOptions {
  /**
   * JSON bytes that may wait for the sink (queued in the stream plus the current batch) before
   * lines are dropped. Default 4 MiB.
   */
  maxPendingBytes?: number;
  /** A batch is handed to the sink when it reaches this size (default 64 KiB)… */
  batchBytes?: number;
  /**
   * …or this many milliseconds after its first line (default 10). Coalescing matters: a program
   * writing line by line is read line by line, and one sink write per line would cost the whole
   * machine (us, and the reader of our stdout) a wake-up per line.
   */
  batchMs?: number;
  /** Clock for the `time` field (ms since the epoch). */
  now?: () => number;
  /**
   * Share of wall time the mirror's work (decoding and formatting lines) may take, over windows of
   * `budgetWindowMs` (default 0.1 of 100 ms). Past it, lines are dropped and counted until the
   * next window: mirroring must never slow the programs through a busy event loop.
   */
  cpuShare?: number;
  budgetWindowMs?: number;
  /** Monotonic clock (ms) for the budget. */
  monotonic?: () => number;
}

const DEFAULT_MAX_PENDING = 4 << 20;
/** Characters JSON strings must escape, except "\n" (the separator of a block). */
const NEEDS_ESCAPE = /["\\\u0000-\u0009\u000b-\u001f]/;
const DEFAULT_BATCH = 64 << 10;
const DEFAULT_BATCH_MS = 10;
const DEFAULT_CPU_SHARE = 0.1;
const DEFAULT_BUDGET_WINDOW_MS = 100;
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
 * The JSON mirror. Lines are formatted by hand in pino's JSON shape: a block of lines captured
 * together becomes JSON with one native replace, about 5× cheaper per line than a pino call
 * (measured: 0.6 µs vs 3 µs per 100-byte line on the same loaded box). Batched (64 KiB or 10 ms)
 * and written with a
 * bound on bytes waiting for the sink: past it, lines are dropped and counted, and once the sink
 * has caught up one notice line says how many were lost. Nothing here ever waits for the sink.
 */
export class StdoutMirror implements LogMirror {
  private readonly out: WritableWithState;
  private readonly maxPending: number;
  private readonly batchBytes: number;
  private readonly batchMs: number;
  private readonly now: () => number;
  private readonly prefixes = new Map<string, string>();
  private batch = '';
  private flushTimer: NodeJS.Timeout | undefined;
  /** Bytes handed to the sink whose write has not completed. */
  private inFlight = 0;
  private droppedLines = 0;
  private unreportedDrops = 0;
  private readonly budgetMs: number;
  private readonly budgetWindowMs: number;
  private readonly monotonic: () => number;
  private windowStart = 0;
  private spentMs = 0;
  private broken = false;
  private readonly flushBound = () => this.flush();

  constructor(out: NodeJS.WritableStream = process.stdout, options: StdoutMirrorOptions = {}) {
    this.out = out as WritableWithState;
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH;
    this.batchMs = options.batchMs ?? DEFAULT_BATCH_MS;
    this.now = options.now ?? Date.now;
    this.budgetWindowMs = options.budgetWindowMs ?? DEFAULT_BUDGET_WINDOW_MS;
    this.budgetMs = (options.cpuShare ?? DEFAULT_CPU_SHARE) * this.budgetWindowMs;
    this.monotonic = options.monotonic ?? (() => performance.now());
    // A closed stdout (EPIPE) must not kill the supervisor: from then on everything is dropped.
    this.out.on('error', () => {
      this.broken = true;
    });
  }

  accepting(): boolean {
    if (this.broken || this.inFlight + this.batch.length >= this.maxPending) return false;
    if (this.spentMs < this.budgetMs) return true;
    const now = this.monotonic();
    if (now - this.windowStart < this.budgetWindowMs) return false;
    this.windowStart = now;
    this.spentMs = 0;
    return true;
  }

  charge(ms: number): void {
    const now = this.monotonic();
    if (now - this.windowStart >= this.budgetWindowMs) {
      this.windowStart = now;
      this.spentMs = 0;
    }
    this.spentMs += ms;
  }

  line(program: string, stream: LogStream, msg: string): void {
    if (!this.accepting()) {
      this.drop(1);
      return;
    }
    const started = this.monotonic();
    this.append(`{"time":${this.now()}${this.prefix(program, stream)}${JSON.stringify(msg)}}\n`);
    this.charge(this.monotonic() - started);
  }

  lines(program: string, stream: LogStream, text: string, count: number): void {
    if (!this.accepting()) {
      this.drop(count);
      return;
    }
    const head = `{"time":${this.now()}${this.prefix(program, stream)}`;
    if (NEEDS_ESCAPE.test(text)) {
      let out = '';
      for (const msg of text.split('\n')) out += `${head}${JSON.stringify(msg)}}\n`;
      this.append(out);
    } else {
      // Nothing to escape: one native replace turns the block into JSON lines.
      this.append(`${head}"${count === 1 ? text : text.replaceAll('\n', `"}\n${head}"`)}"}\n`);
    }
  }

  private prefix(program: string, stream: LogStream): string {
    const key = stream === 'stdout' ? program : `${program}\u0000`;
    let prefix = this.prefixes.get(key);
    if (prefix === undefined) {
      prefix = `,"program":${JSON.stringify(program)},"stream":"${stream}","msg":`;
      this.prefixes.set(key, prefix);
    }
    return prefix;
  }

  private append(json: string): void {
    this.batch += json;
    if (this.batch.length >= this.batchBytes) this.flush();
    else if (this.flushTimer === undefined) this.flushTimer = setTimeout(this.flushBound, this.batchMs);
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
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
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
      this.send(
        formatMirrorLine(this.now(), MIRROR_NOTICE_PROGRAM, 'stderr', `log mirror: ${count} line(s) dropped (stdout too slow, or more lines than the mirror's CPU budget)`),
      );
    }
  }
}

/** The container-stdout mirror: one JSON line {time, program, stream, msg} per output line, bounded, never blocking. */
export function createStdoutMirror(out?: NodeJS.WritableStream, options?: StdoutMirrorOptions): StdoutMirror {
  return new StdoutMirror(out ?? process.stdout, options);
}
