// Capture of one program's stdout and stderr: an in-memory tail, followers, optional rotated
// files and the JSON mirror. The pipes are read as fast as they fill. The mirror is bounded and
// drops (counting) rather than waiting. Log files lose nothing inside their retained window: only
// when the disk itself is slower than the program, and 1 MiB is already waiting for it, does
// reading pause, which slows the program to disk speed (as `cat > file` would).
import { ByteRing } from './byte-ring.js';
import { LineAssembler, type LineBlockSink } from './line-assembler.js';
import { isOutputSource, streamSource, type OutputSource } from './output-source.js';
import { acquireRotatingFile, releaseRotatingFile, type RotatingFile } from './rotating-file.js';
import { createStdoutMirror, type LogMirror, type LogStream } from './stdout-mirror.js';

export { createStdoutMirror, type LogMirror, type LogStream };
export { StdoutMirror, formatMirrorLine, type StdoutMirrorOptions } from './stdout-mirror.js';
export { RotatingFile, backupNames } from './rotating-file.js';
export { OutputPipePool, type OutputPipe } from './output-pipe.js';

export interface ProgramLogOptions {
  program: string;
  mirror?: LogMirror;
  stdoutFile?: string;
  stderrFile?: string;
  /** Size at which a log file is rotated (0 = never). */
  maxBytes: number;
  /** Rotated files kept per log file. */
  backups: number;
  /** Bytes kept in memory per stream for tail (default 64 KiB). */
  tailBytes?: number;
  /** Longest line mirrored as one JSON line; longer lines are mirrored in pieces (default 16 KiB). */
  maxLineBytes?: number;
  /** Bytes per log file that may wait for the disk (default 1 MiB); see RotatingFileOptions.maxPendingBytes. */
  maxPendingFileBytes?: number;
  /** Told about log file I/O errors (the data concerned is dropped and counted). */
  onFileError?: (error: Error, file: string) => void;
}

export interface ProgramLogStats {
  /** Bytes captured per stream. */
  bytes: Record<LogStream, number>;
  /** Lines of this program the mirror dropped. */
  mirrorDropped: number;
  /** Rotations of this program's log files. */
  rotations: number;
  /** Bytes the log files dropped (a pipe target nobody reads, an I/O error); 0 for a healthy file. */
  fileDroppedBytes: number;
  /** Times reading paused because a log file was behind (the disk slower than the program). */
  filePauses: number;
}

export const DEFAULT_TAIL_BYTES = 64 << 10;
export const DEFAULT_MAX_LINE_BYTES = 16 << 10;

type Listener = (chunk: Buffer) => void;

interface Attachment {
  source: OutputSource;
  /** Reasons the source is paused (its log files are behind); it reads again when none is left. */
  holds: number;
  detached: boolean;
}

/**
 * Output waits this long (or until MIRROR_BATCH_BYTES) before its lines are split for the mirror:
 * a program writing line by line is read in pieces of a few lines, and splitting and formatting
 * each piece alone costs several times more per line than one pass over a batch. Reading itself
 * never waits (a paused pipe fills and blocks the writer).
 */
const MIRROR_BATCH_MS = 5;
const MIRROR_BATCH_BYTES = 64 << 10;

class StreamCapture {
  readonly ring: ByteRing;
  readonly lines: LineAssembler | undefined;
  readonly listeners = new Set<Listener>();
  bytes = 0;
  /** Chunks waiting to be split into lines for the mirror. */
  mirrorQueue: Buffer[] = [];
  mirrorQueued = 0;
  constructor(tailBytes: number, maxLineBytes: number, mirrored: boolean) {
    this.ring = new ByteRing(tailBytes);
    this.lines = mirrored ? new LineAssembler(maxLineBytes) : undefined;
  }
}

const STREAMS: readonly LogStream[] = ['stdout', 'stderr'];

export class ProgramLog {
  readonly program: string;
  private readonly mirror: LogMirror | undefined;
  private readonly captures: Record<LogStream, StreamCapture>;
  private readonly files: Partial<Record<LogStream, RotatingFile>> = {};
  private readonly attachments = new Set<Attachment>();
  private mirrorDropped = 0;
  private pausedReads = 0;
  private closed = false;
  private mirrorTimer: NodeJS.Timeout | undefined;
  private readonly mirrorBound = () => {
    this.mirrorTimer = undefined;
    for (const stream of STREAMS) this.mirrorPending(stream);
  };
  private readonly accepting: () => boolean;
  private readonly emitters: Record<LogStream, LineBlockSink>;

  constructor(options: ProgramLogOptions) {
    this.program = options.program;
    this.mirror = options.mirror;
    const tailBytes = options.tailBytes ?? DEFAULT_TAIL_BYTES;
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const mirrored = this.mirror !== undefined;
    this.captures = {
      stdout: new StreamCapture(tailBytes, maxLineBytes, mirrored),
      stderr: new StreamCapture(tailBytes, maxLineBytes, mirrored),
    };
    const mirror = this.mirror;
    this.accepting = mirror?.accepting ? () => mirror.accepting!() : () => true;
    const toMirror = (stream: LogStream): LineBlockSink =>
      mirror?.lines
        ? (text, count) => mirror.lines!(this.program, stream, text, count)
        : (text, count) => {
            if (count === 1) mirror!.line(this.program, stream, text);
            else for (const msg of text.split('\n')) mirror!.line(this.program, stream, msg);
          };
    this.emitters = { stdout: toMirror('stdout'), stderr: toMirror('stderr') };
    const fileOptions = { maxBytes: options.maxBytes, backups: options.backups, maxPendingBytes: options.maxPendingFileBytes };
    for (const stream of STREAMS) {
      const target = stream === 'stdout' ? options.stdoutFile : options.stderrFile;
      if (!target) continue;
      // The same path for both streams yields the same shared writer (one offset, one rotation).
      this.files[stream] = acquireRotatingFile({
        ...fileOptions,
        path: target,
        onError: (error) => options.onFileError?.(error, target),
      });
    }
  }

  /** Reads `input` (a child's stdout or stderr pipe) as fast as it produces; may be called again for each new run. */
  attach(stream: LogStream, input: OutputSource | NodeJS.ReadableStream): void {
    const source = isOutputSource(input) ? input : streamSource(input);
    if (this.closed) {
      source.start(
        () => {},
        () => {},
      );
      return;
    }
    const attachment: Attachment = { source, holds: 0, detached: false };
    this.attachments.add(attachment);
    // Read as it comes: pausing to gather small writes was measured to block line writers
    // (a late timer lets the pipe fill), while immediate reads batch by themselves under load.
    source.start(
      (chunk) => this.capture(stream, chunk, attachment),
      () => {
        this.detach(attachment);
        this.endLine(stream);
      },
    );
  }

  /** The last bytes of a stream, from memory. */
  tail(stream: LogStream, bytes?: number): Buffer {
    return this.captures[stream].ring.tail(bytes);
  }

  /** Calls `listener` with every chunk from now on; returns the unsubscribe function. The listener must not block. */
  follow(stream: LogStream, listener: (chunk: Buffer) => void): () => void {
    const listeners = this.captures[stream].listeners;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  stats(): ProgramLogStats {
    let rotations = 0;
    let fileDroppedBytes = 0;
    for (const file of new Set(Object.values(this.files))) {
      const stats = file.stats();
      rotations += stats.rotations;
      fileDroppedBytes += stats.dropped;
    }
    return {
      bytes: { stdout: this.captures.stdout.bytes, stderr: this.captures.stderr.bytes },
      mirrorDropped: this.mirrorDropped,
      rotations,
      fileDroppedBytes,
      filePauses: this.pausedReads,
    };
  }

  /** Resolves once everything captured so far is in the log files. */
  async flush(): Promise<void> {
    await Promise.all([...new Set(Object.values(this.files))].map((file) => file.flush()));
  }

  /** Stops capturing (sources still attached are drained and ignored), ends partial lines and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const attachment of [...this.attachments]) {
      this.detach(attachment);
      // Keep the pipe flowing so a still-running writer can't block on it.
      attachment.holds = 0;
      attachment.source.resume();
    }
    for (const stream of STREAMS) this.endLine(stream);
    if (this.mirrorTimer !== undefined) clearTimeout(this.mirrorTimer);
    this.mirrorTimer = undefined;
    const files = new Set(Object.values(this.files));
    await Promise.all([...files].map((file) => releaseRotatingFile(file)));
    for (const capture of Object.values(this.captures)) capture.listeners.clear();
  }

  private detach(attachment: Attachment): void {
    attachment.detached = true;
    this.attachments.delete(attachment);
  }

  /** `chunk` is only valid during the call (the source reuses its buffer): whatever keeps it copies it. */
  private capture(stream: LogStream, chunk: Buffer, attachment: Attachment): void {
    if (this.closed || attachment.detached) return;
    const capture = this.captures[stream];
    capture.bytes += chunk.length;
    capture.ring.push(chunk);
    const file = this.files[stream];
    if (file && !file.writeNow(chunk)) this.pauseUntilDrained(file, attachment);
    if (capture.listeners.size > 0) {
      const copy = Buffer.from(chunk);
      for (const listener of capture.listeners) {
        try {
          listener(copy);
        } catch {
          capture.listeners.delete(listener);
        }
      }
    }
    if (capture.lines) {
      // A big read, or one whose lines are only counted (the mirror is saturated), gains nothing
      // from batching: it is split at once, without a copy.
      if (chunk.length >= MIRROR_BATCH_BYTES / 2 || !this.accepting()) {
        this.mirrorPending(stream);
        this.splitForMirror(stream, chunk);
      } else {
        capture.mirrorQueue.push(Buffer.from(chunk));
        capture.mirrorQueued += chunk.length;
        if (capture.mirrorQueued >= MIRROR_BATCH_BYTES) this.mirrorPending(stream);
        else this.mirrorTimer ??= setTimeout(this.mirrorBound, MIRROR_BATCH_MS);
      }
    }
  }

  /** Splits what waits for the mirror into lines, as one batch. */
  private mirrorPending(stream: LogStream): void {
    const capture = this.captures[stream];
    if (!capture.lines || capture.mirrorQueued === 0) return;
    const queue = capture.mirrorQueue;
    const batch = queue.length === 1 ? queue[0]! : Buffer.concat(queue, capture.mirrorQueued);
    capture.mirrorQueue = [];
    capture.mirrorQueued = 0;
    this.splitForMirror(stream, batch);
  }

  private splitForMirror(stream: LogStream, bytes: Buffer): void {
    const started = performance.now();
    this.countDrops(this.captures[stream].lines!.feed(bytes, this.emitters[stream], this.accepting));
    this.mirror?.charge?.(performance.now() - started);
  }

  /** The disk is slower than the program: stop reading this pipe until the file catches up. */
  private pauseUntilDrained(file: RotatingFile, attachment: Attachment): void {
    this.hold(attachment);
    this.pausedReads++;
    file.whenDrained(() => this.release(attachment));
  }

  private hold(attachment: Attachment): void {
    if (attachment.holds++ === 0) attachment.source.pause();
  }

  private release(attachment: Attachment): void {
    if (attachment.holds === 0) return;
    if (--attachment.holds === 0 && this.attachments.has(attachment)) attachment.source.resume();
  }

  private endLine(stream: LogStream): void {
    this.mirrorPending(stream);
    const lines = this.captures[stream].lines;
    if (lines) this.countDrops(lines.flush(this.emitters[stream], this.accepting));
  }

  private countDrops(lines: number): void {
    if (lines === 0) return;
    this.mirrorDropped += lines;
    this.mirror?.drop?.(lines);
  }
}
