/**
 * Stored Responses conversations in Redis (`state.store: redis`), so `previous_response_id`
 * and `GET /v1/responses/{id}` work on whichever host a request lands. Each response is one
 * key, `<keyPrefix>resp:<id>`, holding its JSON and expiring with it (`PX`).
 *
 * The request path never waits on a Redis that is down: this host's newest responses are
 * answered from memory, writes happen in the background, and those that could not be written
 * wait (bounded) for Redis to come back.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { type ConversationStore, isResponseId, type StoredResponse, storedSchema } from '../conversations.js';
import type { RedisConnection } from './connection.js';

/** How often writes left over from an outage are tried again while Redis is down. */
const RETRY_MS = 250;

export interface RedisConversationStoreOptions {
  /** `state.keyPrefix`: keys are `${keyPrefix}resp:<id>`. */
  keyPrefix: string;
  /** Responses kept in memory (the newest), answered without asking Redis; default 1000. */
  maxLocal?: number;
  /** Writes and deletes kept while Redis is down, at most (the oldest are dropped); default 1000. */
  maxPending?: number;
  now?: () => number;
  /** A failed read or dropped write; the store carries on. */
  onError?: (err: Error) => void;
}

/** A response in memory; `own` when this host made it (so it is served without asking Redis). */
interface Local {
  entry: StoredResponse;
  own: boolean;
}

/** {@link ConversationStore} shared through Redis, with the newest in memory. */
export class RedisConversationStore implements ConversationStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #local: LRUCache<string, Local>;
  /** Writes (an entry) and deletes (null) not yet in Redis, oldest first. */
  readonly #pending = new Map<string, StoredResponse | null>();
  readonly #maxPending: number;
  readonly #inflight = new Set<Promise<void>>();
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;
  #retry: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  /** A drop was reported since the pending writes last emptied: one report per outage. */
  #dropReported = false;
  #closed = false;

  constructor(redis: RedisConnection, options: RedisConversationStoreOptions) {
    this.#redis = redis;
    this.#prefix = options.keyPrefix;
    this.#local = new LRUCache({ max: options.maxLocal ?? 1000 });
    this.#maxPending = options.maxPending ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    // Another host's delete must not leave this host serving its copy from memory.
    void redis.subscribe(this.#deletedChannel, (id) => this.#local.delete(id));
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    if (!isResponseId(id)) return undefined;
    const local = this.#live(this.#local.get(id)?.entry);
    if (this.#pending.has(id)) return this.#live(this.#pending.get(id) ?? undefined);
    if (local && this.#local.get(id)!.own) return local;
    if (!this.#redis.up) return local;
    let text: unknown;
    try {
      text = await this.#redis.send(this.#key(id), ['GET', this.#key(id)]);
    } catch {
      // Down or slow: what this host knows is the best answer now.
      return local;
    }
    if (text === null || text === undefined) {
      this.#local.delete(id);
      return undefined;
    }
    const entry = this.#parse(id, text);
    if (entry) this.#local.set(id, { entry, own: false });
    return this.#live(entry);
  }

  put(entry: StoredResponse): void {
    if (!isResponseId(entry.id) || entry.expiresAt <= this.#now()) return;
    this.#local.set(entry.id, { entry, own: true });
    if (this.#pending.size > 0 || !this.#redis.up) return this.#keep(entry.id, entry);
    // A failed write waits with the others for Redis to come back.
    this.#track(this.#write(entry.id, entry).then(() => {}, () => this.#keep(entry.id, entry)));
  }

  async delete(id: string): Promise<boolean> {
    if (!isResponseId(id)) return false;
    let known = this.#live(this.#local.get(id)?.entry) !== undefined || this.#live(this.#pending.get(id) ?? undefined) !== undefined;
    this.#local.delete(id);
    if (!this.#redis.up) {
      this.#keep(id, null);
      return known;
    }
    this.#pending.delete(id);
    try {
      known = (await this.#write(id, null)) || known;
    } catch {
      this.#keep(id, null);
    }
    return known;
  }

  /** Redis came back: writes left over from the outage go now rather than at the next retry. */
  linkUp(): void {
    if (this.#pending.size > 0) void this.#flush();
  }

  /** Waits for writes under way and tries once more the ones waiting for Redis. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
    if (this.#pending.size > 0 && this.#redis.up) await this.#flush();
    if (this.#pending.size > 0) this.#onError(new Error(`${this.#pending.size} stored responses not written: Redis is down`));
  }

  #key(id: string): string {
    return `${this.#prefix}resp:${id}`;
  }

  #live(entry: StoredResponse | undefined): StoredResponse | undefined {
    return entry && entry.expiresAt > this.#now() ? entry : undefined;
  }

  #parse(id: string, text: unknown): StoredResponse | undefined {
    try {
      const entry = storedSchema.parse(JSON.parse(String(text))) as StoredResponse;
      if (entry.id !== id) throw new Error(`it holds ${entry.id}`);
      return entry;
    } catch (err) {
      this.#onError(new Error(`ignoring unreadable stored response ${id}: ${(err as Error).message}`));
      return undefined;
    }
  }

  get #deletedChannel(): string {
    return `${this.#prefix}resp-deleted`;
  }

  /** SET with the time it has left, or DEL (told to the other hosts); true when it deleted a key. */
  async #write(id: string, entry: StoredResponse | null): Promise<boolean> {
    const key = this.#key(id);
    if (entry === null) {
      const deleted = Number(await this.#redis.send(key, ['DEL', key])) > 0;
      await this.#redis.send(undefined, ['PUBLISH', this.#deletedChannel, id]).catch(() => {});
      return deleted;
    }
    const ttl = Math.ceil(entry.expiresAt - this.#now());
    if (ttl > 0) await this.#redis.send(key, ['SET', key, JSON.stringify(entry), 'PX', String(ttl)]);
    return false;
  }

  #track(work: Promise<void>): void {
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
  }

  /** Keeps a write for later, dropping the oldest beyond the bound; a later write of an id replaces its earlier one. */
  #keep(id: string, entry: StoredResponse | null): void {
    this.#pending.delete(id);
    this.#pending.set(id, entry);
    if (this.#pending.size > this.#maxPending) {
      const oldest = this.#pending.keys().next().value!;
      this.#pending.delete(oldest);
      if (!this.#dropReported) {
        this.#dropReported = true;
        this.#onError(new Error(`Redis is down and ${this.#maxPending} stored responses wait to be written: dropping the oldest (${oldest})`));
      }
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#retry || this.#closed || this.#pending.size === 0) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#redis.up) void this.#flush();
      else this.#schedule();
    }, RETRY_MS);
    // Nothing to keep the process alive for: close() makes a last attempt.
    this.#retry.unref();
  }

  /** Writes the pending ones in order, stopping at the first failure (Redis went down again). */
  #flush(): Promise<void> {
    this.#flushing ??= (async () => {
      for (const [id, entry] of [...this.#pending]) {
        // Written or deleted directly meanwhile.
        if (this.#pending.get(id) !== entry) continue;
        if (!this.#redis.up) break;
        try {
          await this.#write(id, entry);
        } catch {
          break;
        }
        // Unless it changed meanwhile (then its newer value is pending).
        if (this.#pending.get(id) === entry) this.#pending.delete(id);
      }
      if (this.#pending.size === 0) this.#dropReported = false;
      this.#flushing = undefined;
      this.#schedule();
    })();
    const flushing = this.#flushing;
    this.#track(flushing);
    return flushing;
  }
}
