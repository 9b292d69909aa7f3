/**
 * A set for members that come and go by the thousand a second (requests in flight), as a
 * doubly linked list rather than a `Set`.
 *
 * Why not a `Set`: V8 rehashes a `Set`'s table every so many deletions, and the table it leaves
 * behind keeps its entries and a pointer to its successor. A long-lived `Set`'s tables end up in
 * the old generation, where a young-generation GC takes everything they point to as alive until
 * the next full GC: each discarded table keeps the requests it held, and the tables after it,
 * alive. Under load that promoted every request's objects (bodies, parsed JSON, headers) to the
 * old generation and tripled the time spent in young-generation GC. A removed link here points
 * at nothing, so a request that ended leaves nothing for the GC to keep.
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
