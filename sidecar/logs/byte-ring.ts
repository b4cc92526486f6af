/**
 * The last `capacity` bytes written, for `corepod tail`. The storage is allocated on the first
 * write, so a silent program costs nothing.
 */
export class ByteRing {
  readonly capacity: number;
  private storage: Buffer | undefined;
  /** Next write position in storage. */
  private head = 0;
  /** Bytes held, at most capacity. */
  private held = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`ring capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get length(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    const capacity = this.capacity;
    const length = chunk.length;
    if (capacity === 0 || length === 0) return;
    const storage = (this.storage ??= Buffer.allocUnsafeSlow(capacity));
    // Only the chunk's last `capacity` bytes can survive.
    const start = length > capacity ? length - capacity : 0;
    const count = length - start;
    const head = this.head;
    const first = Math.min(count, capacity - head);
    chunk.copy(storage, head, start, start + first);
    if (first < count) chunk.copy(storage, 0, start + first, length);
    const next = head + count;
    this.head = next >= capacity ? next - capacity : next;
    this.held = Math.min(capacity, this.held + count);
  }

  /** A copy of the last `bytes` bytes held (all of them by default). */
  tail(bytes: number = this.held): Buffer {
    const count = Math.max(0, Math.min(Math.floor(bytes), this.held));
    const storage = this.storage;
    if (count === 0 || !storage) return Buffer.alloc(0);
    const start = (this.head - count + this.capacity) % this.capacity;
    if (start + count <= this.capacity) return Buffer.from(storage.subarray(start, start + count));
    return Buffer.concat([storage.subarray(start), storage.subarray(0, this.head)], count);
  }

  clear(): void {
    this.head = 0;
    this.held = 0;
  }
}
