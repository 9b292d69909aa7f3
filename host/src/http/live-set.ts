/**
 * A set for members that come and go by the thousand a second (requests in flight), as a
 * doubly linked list rather than a `Set`.
 *
 * Why not a `Set`: every so many deletions V8 moves a `Set` to a new hash table, and the table
 * it leaves keeps its entries and a link to its successor (for iterators still walking it).
 * A long-lived `Set`'s tables are allocated in the old generation, and a young-generation GC
 * takes whatever an old-generation object points to as alive, dead or not, until the next full
 * GC. So each discarded table kept the requests it held alive, and they were promoted with
 * everything they reached: under load the host promoted ~5.5 KB a request to the old generation
 * with a `Set` here and ~1.1 KB with this list, and its young-generation GCs took half the time
 * (docs/BENCHMARKS.md). A removed link points at nothing: an ended request leaves nothing behind.
 *
 * @module
 */

/** A member's place in a {@link LiveSet}: pass it back to remove the member. */
export interface Link<T> {
  /** The member; null once removed. */
  member: T | null;
  prev: Link<T> | null;
  next: Link<T> | null;
}

export class LiveSet<T> implements Iterable<T> {
  #head: Link<T> | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `member`; the link it returns removes it. */
  add(member: T): Link<T> {
    const link: Link<T> = { member, prev: null, next: this.#head };
    if (this.#head) this.#head.prev = link;
    this.#head = link;
    this.#size++;
    return link;
  }

  /** Removes the member of `link`; removing it twice does nothing. */
  remove(link: Link<T>): void {
    if (link.member === null) return;
    if (link.prev) link.prev.next = link.next;
    else this.#head = link.next;
    if (link.next) link.next.prev = link.prev;
    link.member = link.prev = link.next = null;
    this.#size--;
  }

  /** The members, newest first, as they are now: adding or removing members meanwhile does not disturb it. */
  [Symbol.iterator](): Iterator<T> {
    const members: T[] = [];
    for (let link = this.#head; link; link = link.next) members.push(link.member!);
    return members[Symbol.iterator]();
  }
}
