const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Receives complete lines: `text` holds `count` lines joined by "\n" (no final newline, no "\r"
 * before the separators), each at most maxLineBytes long.
 */
export type LineBlockSink = (text: string, count: number) => void;

/** The longest prefix of `bytes` (at most `max`) that does not cut a UTF-8 character in two. */
export function utf8Cut(bytes: Buffer, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let cut = max;
  // Step back over continuation bytes (10xxxxxx), at most 3 of them.
  while (cut > max - 3 && cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut > 0 ? cut : max;
}

export function countNewlines(chunk: Buffer, from = 0, to = chunk.length): number {
  let count = 0;
  for (let at = chunk.indexOf(NEWLINE, from); at !== -1 && at < to; at = chunk.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/**
 * Splits a byte stream into lines for the JSON mirror: a line ends at "\n" (a trailing "\r" is
 * removed), a partial line waits for the next chunk, and a line longer than `maxLineBytes` is
 * emitted in pieces of at most that many bytes (cut on UTF-8 boundaries).
 *
 * Built for throughput: the complete lines of a chunk are decoded with one toString and handed
 * over as one block, so the cost per line is an indexOf on a string. Nothing is decoded while
 * `accepting()` is false (the mirror is saturated): those lines are only counted.
 */
export class LineAssembler {
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 16) throw new RangeError(`maxLineBytes must be an integer >= 16, got ${maxLineBytes}`);
  }

  /** Bytes of an incomplete line waiting for its end. */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  /**
   * Feeds a chunk; returns the number of lines dropped because the mirror was not accepting. The
   * chunk is not kept (a partial line is copied), so its buffer may be reused after the call.
   */
  feed(chunk: Buffer, sink: LineBlockSink, accepting: () => boolean): number {
    const first = chunk.indexOf(NEWLINE);
    if (first === -1) return this.hold(chunk, sink, accepting);
    const last = chunk.lastIndexOf(NEWLINE);
    let dropped = 0;
    let start = 0;
    if (this.partialBytes > 0) {
      // The first newline completes the waiting partial line.
      this.partial.push(chunk.subarray(0, first));
      const line = Buffer.concat(this.partial, this.partialBytes + first);
      this.resetPartial();
      if (accepting()) this.emitLine(line, sink);
      else dropped++;
      start = first + 1;
    }
    if (start <= last) {
      if (accepting()) this.emitRegion(chunk.subarray(start, last), sink);
      else dropped += 1 + countNewlines(chunk, start, last);
    }
    if (last + 1 < chunk.length) dropped += this.hold(chunk.subarray(last + 1), sink, accepting);
    return dropped;
  }

  /** Emits what is left of an unterminated last line (at the end of the stream). */
  flush(sink: LineBlockSink, accepting: () => boolean): number {
    if (this.partialBytes === 0) return 0;
    const line = Buffer.concat(this.partial, this.partialBytes);
    this.resetPartial();
    if (!accepting()) return 1;
    this.emitLine(line, sink);
    return 0;
  }

  /** Complete lines (the region excludes the final newline). */
  private emitRegion(region: Buffer, sink: LineBlockSink): void {
    const text = region.toString('utf8');
    // Fast path: every line short enough even counting 3 bytes per character (or 1 when all ASCII),
    // and no "\r" to strip. One scan counts the lines.
    const limit = text.length === region.length ? this.maxLineBytes : Math.floor(this.maxLineBytes / 3);
    let count = 0;
    let from = 0;
    let fast = text.indexOf('\r') === -1;
    while (fast) {
      const at = text.indexOf('\n', from);
      const end = at === -1 ? text.length : at;
      if (end - from > limit) fast = false;
      count++;
      if (at === -1) break;
      from = at + 1;
    }
    if (fast) {
      sink(text, count);
      return;
    }
    let lineStart = 0;
    while (lineStart <= region.length) {
      let lineEnd = region.indexOf(NEWLINE, lineStart);
      if (lineEnd === -1) lineEnd = region.length;
      this.emitLine(region.subarray(lineStart, lineEnd), sink);
      lineStart = lineEnd + 1;
    }
  }

  private emitLine(bytes: Buffer, sink: LineBlockSink): void {
    let line = bytes;
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
    if (line.length <= this.maxLineBytes) {
      sink(line.toString('utf8'), 1);
      return;
    }
    while (line.length > 0) {
      const cut = utf8Cut(line, this.maxLineBytes);
      sink(line.toString('utf8', 0, cut), 1);
      line = line.subarray(cut);
    }
  }

  private hold(rest: Buffer, sink: LineBlockSink, accepting: () => boolean): number {
    this.partial.push(Buffer.from(rest));
    this.partialBytes += rest.length;
    if (this.partialBytes < this.maxLineBytes) return 0;
    // A line longer than the limit: emit full pieces now, keep the remainder.
    let line = Buffer.concat(this.partial, this.partialBytes);
    this.resetPartial();
    let dropped = 0;
    while (line.length >= this.maxLineBytes) {
      const cut = utf8Cut(line, this.maxLineBytes);
      if (accepting()) sink(line.toString('utf8', 0, cut), 1);
      else dropped++;
      line = line.subarray(cut);
    }
    if (line.length > 0) {
      this.partial.push(line);
      this.partialBytes = line.length;
    }
    return dropped;
  }

  private resetPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
  }
}
