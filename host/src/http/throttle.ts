/**
 * Throttles management key guessing: an address that fails authentication `limit` times within
 * `windowMs` is refused (429) for `blockMs`, whatever key it sends meanwhile, so a brute force
 * gets a handful of tries a minute.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';

export interface ThrottleOptions {
  /** Failures allowed per window (default 5). */
  limit?: number;
  /** The window failures are counted in, from the first one (default 60 s). */
  windowMs?: number;
  /** How long a blocked address stays blocked (default 60 s). */
  blockMs?: number;
  /** Addresses remembered at most; the least recently seen is forgotten first (default 10,000). */
  maxClients?: number;
}

interface Attempts {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

/** Failed authentication attempts per client address. */
export class AuthThrottle {
  /** Bounded under a scan from many addresses: the least recently seen is forgotten first. */
  readonly #clients: LRUCache<string, Attempts>;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #blockMs: number;

  constructor(options: ThrottleOptions = {}) {
    this.#limit = options.limit ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#blockMs = options.blockMs ?? 60_000;
    this.#clients = new LRUCache({ max: options.maxClients ?? 10_000 });
  }

  /** Milliseconds until `client` may try again; 0 when it may now. */
  blockedFor(client: string, now = Date.now()): number {
    const record = this.#clients.get(client);
    if (!record) return 0;
    if (record.blockedUntil > now) return record.blockedUntil - now;
    if (record.blockedUntil > 0 || now - record.windowStart >= this.#windowMs) this.#clients.delete(client);
    return 0;
  }

  /** Counts a failed attempt; the `limit`-th failure within the window blocks the address. */
  failed(client: string, now = Date.now()): void {
    let record = this.#clients.get(client);
    if (!record || now - record.windowStart >= this.#windowMs) {
      record = { failures: 0, windowStart: now, blockedUntil: 0 };
      this.#clients.set(client, record);
    }
    record.failures += 1;
    if (record.failures >= this.#limit) record.blockedUntil = now + this.#blockMs;
  }

  /** A successful attempt forgets the address's failures. */
  succeeded(client: string): void {
    this.#clients.delete(client);
  }
}
