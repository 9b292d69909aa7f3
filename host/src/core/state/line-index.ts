/**
 * The response log's index: for each stored response's id, where its line is. An open-addressing
 * hash table whose slots are typed arrays and whose ids are bytes in one pool, so the garbage
 * collector sees a handful of objects however many responses are stored. As a `Map` of id
 * strings to place objects, every response stored added three objects that lived as long as the
 * response, and each major collection walked all of them: under load, a host that had stored
 * 400,000 responses spent ~25% more CPU a request than a fresh one.
 *
 * Ids hold only the characters `RESPONSE_ID` allows (ASCII, see `response-log.ts`), one byte each
 * in the pool.
 *
 * @module
 */

/** Where one line is: its segment's number, its byte offset and length (newline not counted), and when it expires. */
export interface LinePlace {
  segment: number;
  offset: number;
  length: number;
  expiresAt: number;
}

const EMPTY = -1;
const DELETED = -2;
const MIN_SLOTS = 1024;

/** The 32-bit hash of an id (FNV-1a, then murmur3's finaliser so that low bits, which pick the slot, mix well). */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class LineIndex {
  /** Per slot: the segment's number, or {@link EMPTY} or {@link DELETED}. */
  #segments = new Int32Array(MIN_SLOTS).fill(EMPTY);
  #hashes = new Uint32Array(MIN_SLOTS);
  #offsets = new Uint32Array(MIN_SLOTS);
  #lengths = new Uint32Array(MIN_SLOTS);
  #expiries = new Float64Array(MIN_SLOTS);
  /** Where the slot's id starts in {@link #pool}, and how many bytes it takes. */
  #idAt = new Uint32Array(MIN_SLOTS);
  #idLength = new Uint8Array(MIN_SLOTS);
  #pool = Buffer.allocUnsafeSlow(MIN_SLOTS * 32);
  /** Bytes of the pool taken, those of deleted ids included until the next rebuild. */
  #poolUsed = 0;
  #size = 0;
  /** Slots not empty: live ones and deleted ones, which probes must step over. */
  #taken = 0;

  /** How many ids are indexed. */
  get size(): number {
    return this.#size;
  }

  /** The place of `id`'s line, or undefined. */
  get(id: string): LinePlace | undefined {
    const slot = this.#find(id, hashId(id));
    if (slot < 0) return undefined;
    return { segment: this.#segments[slot]!, offset: this.#offsets[slot]!, length: this.#lengths[slot]!, expiresAt: this.#expiries[slot]! };
  }

  /** Indexes `id`'s line, replacing any place it had (arguments as in {@link LinePlace}; no object made per line). */
  set(id: string, segment: number, offset: number, length: number, expiresAt: number): void {
    if (id.length === 0 || id.length > 255) throw new RangeError(`an indexed id takes 1 to 255 characters, not ${id.length}`);
    const hash = hashId(id);
    let slot = this.#find(id, hash);
    if (slot < 0) {
      if ((this.#taken + 1) * 2 > this.#hashes.length) this.#rebuild(this.#size + 1);
      slot = this.#free(hash);
      if (this.#segments[slot] === EMPTY) this.#taken++;
      this.#size++;
      this.#hashes[slot] = hash;
      this.#idAt[slot] = this.#keep(id);
      this.#idLength[slot] = id.length;
    }
    this.#segments[slot] = segment;
    this.#offsets[slot] = offset;
    this.#lengths[slot] = length;
    this.#expiries[slot] = expiresAt;
  }

  /** Forgets `id`; false when it was not indexed. */
  delete(id: string): boolean {
    const slot = this.#find(id, hashId(id));
    if (slot < 0) return false;
    this.#segments[slot] = DELETED;
    this.#size--;
    return true;
  }

  /** Forgets every id whose line is in one of `segments`. */
  deleteIn(segments: ReadonlySet<number>): void {
    for (let slot = 0; slot < this.#segments.length; slot++) {
      if (segments.has(this.#segments[slot]!)) {
        this.#segments[slot] = DELETED;
        this.#size--;
      }
    }
    // Mostly deleted slots make every probe long: start again from the live ones.
    if (this.#size * 4 < this.#taken) this.#rebuild(this.#size);
  }

  /** The slot of `id`, or -1. */
  #find(id: string, hash: number): number {
    const mask = this.#hashes.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const segment = this.#segments[slot]!;
      if (segment === EMPTY) return -1;
      if (segment !== DELETED && this.#hashes[slot] === hash && this.#is(slot, id)) return slot;
    }
  }

  /** The first slot a new id of `hash` may take: empty, or deleted. */
  #free(hash: number): number {
    const mask = this.#hashes.length - 1;
    let slot = hash & mask;
    while (this.#segments[slot]! >= 0) slot = (slot + 1) & mask;
    return slot;
  }

  #is(slot: number, id: string): boolean {
    if (this.#idLength[slot] !== id.length) return false;
    const at = this.#idAt[slot]!;
    for (let i = 0; i < id.length; i++) if (this.#pool[at + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  /** Copies `id` into the pool, which grows as it must; returns where it starts. */
  #keep(id: string): number {
    if (this.#poolUsed + id.length > this.#pool.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.#pool.length * 2, this.#poolUsed + id.length));
      this.#pool.copy(grown, 0, 0, this.#poolUsed);
      this.#pool = grown;
    }
    const at = this.#poolUsed;
    this.#poolUsed += this.#pool.write(id, at, 'latin1');
    return at;
  }

  /** Moves the live slots into tables sized for `live` ids at most a quarter full, and their ids into a new pool without the deleted ones'. */
  #rebuild(live: number): void {
    let slots = MIN_SLOTS;
    while (slots < live * 4) slots *= 2;
    const old = { segments: this.#segments, hashes: this.#hashes, offsets: this.#offsets, lengths: this.#lengths, expiries: this.#expiries, idAt: this.#idAt, idLength: this.#idLength, pool: this.#pool };
    this.#segments = new Int32Array(slots).fill(EMPTY);
    this.#hashes = new Uint32Array(slots);
    this.#offsets = new Uint32Array(slots);
    this.#lengths = new Uint32Array(slots);
    this.#expiries = new Float64Array(slots);
    this.#idAt = new Uint32Array(slots);
    this.#idLength = new Uint8Array(slots);
    let poolBytes = 0;
    for (let slot = 0; slot < old.segments.length; slot++) if (old.segments[slot]! >= 0) poolBytes += old.idLength[slot]!;
    this.#pool = Buffer.allocUnsafeSlow(Math.max(MIN_SLOTS * 32, poolBytes * 2));
    this.#poolUsed = 0;
    this.#taken = this.#size;
    for (let from = 0; from < old.segments.length; from++) {
      if (old.segments[from]! < 0) continue;
      const to = this.#free(old.hashes[from]!);
      this.#segments[to] = old.segments[from]!;
      this.#hashes[to] = old.hashes[from]!;
      this.#offsets[to] = old.offsets[from]!;
      this.#lengths[to] = old.lengths[from]!;
      this.#expiries[to] = old.expiries[from]!;
      const at = old.idAt[from]!;
      const length = old.idLength[from]!;
      old.pool.copy(this.#pool, this.#poolUsed, at, at + length);
      this.#idAt[to] = this.#poolUsed;
      this.#idLength[to] = length;
      this.#poolUsed += length;
    }
  }
}
