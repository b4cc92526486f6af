const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The longest prefix of `bytes` (at most `max`) that does not cut a UTF-8 character in two. */
function utf8Cut(bytes: Buffer, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let cut = max;
  // Step back over continuation bytes (10xxxxxx), at most 3 of them.
  while (cut > max - 3 && cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut > 0 ? cut : max;
}

function countNewlines(chunk: Buffer, from: number): number {
  let count = 0;
  for (let at = chunk.indexOf(NEWLINE, from); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/**
 * Splits a byte stream into lines for the JSON mirror: a line ends at "\n" (a trailing "\r" is
 * removed), a partial line waits for the next chunk, and a line longer than `maxLineBytes` is
 * emitted in pieces of at most that many bytes (cut on UTF-8 boundaries). Splitting stops as soon
 * as `accepting()` says the mirror is saturated: the remaining complete lines of the chunk are only
 * counted, never decoded.
 */
export class LineAssembler {
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 16) throw new RangeError(`maxLineBytes must be an integer >= 16, got ${maxLineBytes}`);
  }

  /**
   * Feeds a chunk; calls `emit` for each complete line (or long-line piece) while `accepting()`.
   * Returns the number of lines dropped because the mirror was saturated.
   */
  feed(chunk: Buffer, emit: (msg: string) => void, accepting: () => boolean): number {
    let dropped = 0;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        dropped += this.hold(chunk.subarray(start), emit, accepting);
        break;
      }
      if (!accepting()) {
        dropped += 1 + countNewlines(chunk, newline + 1);
        this.resetPartial();
        const last = chunk.lastIndexOf(NEWLINE);
        if (last + 1 < chunk.length) dropped += this.hold(chunk.subarray(last + 1), emit, () => false);
        break;
      }
      let end = newline;
      let line: Buffer;
      if (this.partialBytes === 0) {
        line = chunk.subarray(start, end);
      } else {
        this.partial.push(chunk.subarray(start, end));
        line = Buffer.concat(this.partial, this.partialBytes + (end - start));
        this.resetPartial();
      }
      end = line.length;
      if (end > 0 && line[end - 1] === CARRIAGE_RETURN) line = line.subarray(0, end - 1);
      this.emitPieces(line, emit);
      start = newline + 1;
    }
    return dropped;
  }

  /** Emits what is left of an unterminated last line (at the end of the stream). */
  flush(emit: (msg: string) => void, accepting: () => boolean): number {
    if (this.partialBytes === 0) return 0;
    const line = Buffer.concat(this.partial, this.partialBytes);
    this.resetPartial();
    if (!accepting()) return 1;
    this.emitPieces(line, emit);
    return 0;
  }

  /** Bytes of an incomplete line waiting for its end. */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  private hold(rest: Buffer, emit: (msg: string) => void, accepting: () => boolean): number {
    this.partial.push(rest);
    this.partialBytes += rest.length;
    if (this.partialBytes < this.maxLineBytes) return 0;
    // A line longer than the limit: emit full pieces now, keep the remainder.
    let line = Buffer.concat(this.partial, this.partialBytes);
    this.resetPartial();
    let dropped = 0;
    while (line.length >= this.maxLineBytes) {
      const cut = utf8Cut(line, this.maxLineBytes);
      if (accepting()) emit(line.toString('utf8', 0, cut));
      else dropped++;
      line = line.subarray(cut);
    }
    if (line.length > 0) {
      this.partial.push(line);
      this.partialBytes = line.length;
    }
    return dropped;
  }

  private emitPieces(line: Buffer, emit: (msg: string) => void): void {
    if (line.length <= this.maxLineBytes) {
      emit(line.toString('utf8'));
      return;
    }
    let rest = line;
    while (rest.length > 0) {
      const cut = utf8Cut(rest, this.maxLineBytes);
      emit(rest.toString('utf8', 0, cut));
      rest = rest.subarray(cut);
    }
  }

  private resetPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
  }
}
