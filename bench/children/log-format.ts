// The byte layout of the log writers' output, and its check (pure): the capture must keep every
// byte in order, whatever the rotation boundaries.

export const CHUNK_BYTES = 64 * 1024;
export const LINE_BYTES = 100;
const DIGITS = 12;
const CHUNK_HEADER = 'chunk ';

function pad(n: number): string {
  return String(n).padStart(DIGITS, '0');
}

/** A 64 KiB block of text lines: "chunk NNNNNNNNNNNN\n", then filler lines of 100 bytes or less. */
export function chunkTemplate(): Buffer {
  const buffer = Buffer.alloc(CHUNK_BYTES, 'x');
  buffer.write(`${CHUNK_HEADER}${pad(0)}\n`, 0, 'latin1');
  for (let end = CHUNK_HEADER.length + DIGITS + 1 + LINE_BYTES - 1; end < CHUNK_BYTES; end += LINE_BYTES) buffer[end] = 0x0a;
  buffer[CHUNK_BYTES - 1] = 0x0a;
  return buffer;
}

export function stampChunk(buffer: Buffer, index: number): void {
  buffer.write(pad(index), CHUNK_HEADER.length, 'latin1');
}

/** "NNNNNNNNNNNN yyyy…y\n", 100 bytes. */
export function lineTemplate(): Buffer {
  const buffer = Buffer.alloc(LINE_BYTES, 'y');
  buffer.write(`${pad(0)} `, 0, 'latin1');
  buffer[LINE_BYTES - 1] = 0x0a;
  return buffer;
}

export function stampLine(buffer: Buffer, index: number): void {
  buffer.write(pad(index), 0, 'latin1');
}

export interface StreamCheck {
  /** Records (chunks or lines) found in order from `first`. */
  records: number;
  first: number | undefined;
  /** Records expected and not found (including a bad or missing tail). */
  missing: number;
  /** Records whose number was not the one expected next. */
  outOfOrder: number;
  bytes: number;
}

/**
 * Checks the concatenated byte stream of files (oldest first) made of fixed-size records that
 * start with their 12-digit number at `numberOffset`; expects records 0..expected-1.
 */
export class RecordChecker {
  private pending: Buffer = Buffer.alloc(0);
  private next: number | undefined;
  private readonly result: StreamCheck = { records: 0, first: undefined, missing: 0, outOfOrder: 0, bytes: 0 };

  constructor(
    private readonly recordBytes: number,
    private readonly numberOffset: number,
  ) {}

  feed(data: Buffer): void {
    this.result.bytes += data.length;
    const buffer = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    let offset = 0;
    for (; offset + this.recordBytes <= buffer.length; offset += this.recordBytes) {
      const number = Number(buffer.toString('latin1', offset + this.numberOffset, offset + this.numberOffset + DIGITS));
      if (this.result.first === undefined) this.result.first = number;
      if (this.next !== undefined && number !== this.next) this.result.outOfOrder++;
      this.next = number + 1;
      this.result.records++;
    }
    this.pending = Buffer.from(buffer.subarray(offset));
  }

  finish(expected: number): StreamCheck {
    const found = this.result.outOfOrder === 0 && this.result.first === 0 ? this.result.records : 0;
    return { ...this.result, missing: Math.max(0, expected - found) + (this.pending.length > 0 ? 1 : 0) };
  }
}

export const chunkChecker = () => new RecordChecker(CHUNK_BYTES, CHUNK_HEADER.length);
export const lineChecker = () => new RecordChecker(LINE_BYTES, 0);
