/**
 * The newest lines of the response log, kept in memory as their UTF-8 bytes in one buffer of a
 * fixed size that is written round and round. A line is encoded once, into the ring, and the log
 * writes those very bytes; reading one back decodes it. The garbage collector never sees the
 * bytes: kept as strings (or as the response's objects), the newest responses lived through
 * several young-generation collections each, copied every time, and were then promoted, which
 * under load was most of a Responses request's collection time.
 *
 * @module
 */

const NEWLINE = 0x0a;

/** Where a kept line is: its start counted in bytes put since the ring was made, and its length with the newline. */
interface Kept {
  readonly at: number;
  readonly length: number;
}

export class LineRing {
  readonly #ring: Buffer;
  /** Bytes put so far, the unused end of each lap included: a line whose start is more than a ring ago was written over. */
  #total = 0;
  /** Kept lines by id. */
  readonly #lines = new Map<string, Kept>();
  /**
   * The ids put, oldest first from {@link #head}, with where each line started: a line is
   * forgotten once the ring passes it. A queue, not an iteration of {@link #lines}: a `Map`'s
   * iterator steps over every entry deleted since its table was last rebuilt, which made a put
   * cost 2.8 µs with 5 KB lines and 14 µs with 500-byte ones (1.7 and 1.0 µs this way).
   */
  #order: string[] = [];
  #orderAt: number[] = [];
  #head = 0;

  /** @param capacity - bytes the ring holds; its memory is taken as lines fill it */
  constructor(readonly capacity: number) {
    this.#ring = Buffer.allocUnsafeSlow(capacity);
  }

  /**
   * Encodes `text` and a newline, keeping them as the line of `id` when they take at most a
   * quarter of the ring. Returns the bytes: a view of the ring, which holds them while no more
   * than half the ring's capacity of lines has been put after them, or a buffer of their own for
   * a line too long to keep.
   */
  put(id: string, text: string): Buffer {
    this.#lines.delete(id);
    // UTF-8 takes at most 3 bytes a UTF-16 unit: room for that is room enough, and a line that
    // surely fits is encoded straight into the ring, never measured first (~0.8 µs for 5 KB).
    const most = text.length * 3 + 1;
    const room = most <= this.capacity / 4 ? most : Buffer.byteLength(text) + 1;
    if (room > this.capacity / 4) {
      const own = Buffer.allocUnsafe(room);
      own.write(text);
      own[room - 1] = NEWLINE;
      return own;
    }
    let offset = this.#total % this.capacity;
    if (offset + room > this.capacity) {
      // A line is never split: the rest of this lap goes unused.
      this.#total += this.capacity - offset;
      offset = 0;
    }
    const length = this.#ring.write(text, offset) + 1;
    this.#ring[offset + length - 1] = NEWLINE;
    this.#lines.set(id, { at: this.#total, length });
    this.#order.push(id);
    this.#orderAt.push(this.#total);
    this.#total += length;
    this.#forget(this.#total - this.capacity);
    return this.#ring.subarray(offset, offset + length);
  }

  /** The text of the line kept for `id`, without its newline, or undefined. */
  get(id: string): string | undefined {
    const line = this.#lines.get(id);
    if (line === undefined) return undefined;
    const offset = line.at % this.capacity;
    return this.#ring.toString('utf8', offset, offset + line.length - 1);
  }

  /** Forgets the lines that start before `overwritten` (a count of bytes put), unless put again since. */
  #forget(overwritten: number): void {
    while (this.#head < this.#order.length && this.#orderAt[this.#head]! < overwritten) {
      const id = this.#order[this.#head]!;
      if (this.#lines.get(id)?.at === this.#orderAt[this.#head]) this.#lines.delete(id);
      this.#head++;
    }
    // The passed part of the queue goes once it is most of it.
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#orderAt = this.#orderAt.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forgets the line of `id`; false when none was kept. */
  delete(id: string): boolean {
    return this.#lines.delete(id);
  }
}
