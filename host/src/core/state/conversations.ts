/**
 * Stored Responses conversations (`previous_response_id`, `GET`/`DELETE /v1/responses/{id}`):
 * each response the host served with `store` not false, with the input it answered (its own
 * history expanded) and its output, owned by the client that made it, kept for `responses.ttl`.
 * The default store keeps the newest in memory and every one in a file of its own under
 * `authDir/responses/`, written in the background, so they survive restarts without one large
 * file being rewritten per response.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** One stored response. */
export interface StoredResponse {
  /** The response id (`resp_...`). */
  id: string;
  /** The client that made it: only that client may read, continue or delete it. */
  owner: string;
  /** Epoch ms after which it is gone. */
  expiresAt: number;
  /** The input items it answered, its own history expanded, in the Responses item format. */
  input: unknown[];
  /** Its output items. */
  output: unknown[];
  /** The Response object as it was served. */
  response: unknown;
}

export interface ConversationStore {
  /** The response with `id`, unless unknown, expired or deleted. */
  get(id: string): Promise<StoredResponse | undefined>;
  /** Keeps a response; persisting happens in the background. */
  put(entry: StoredResponse): void;
  /** Forgets a response; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** What a stored response must look like when read back from a file or a shared store. */
export const storedSchema = z.object({
  id: z.string(),
  owner: z.string(),
  expiresAt: z.number(),
  input: z.array(z.unknown()),
  output: z.array(z.unknown()),
  response: z.unknown(),
});

/** Response ids become file names: only what an id of ours can hold. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,200}$/;

export interface FileConversationStoreOptions {
  /** Folder of the files; without it, responses live in memory only. */
  dir?: string;
  /** Responses kept in memory at most (the newest); older ones are read from their files. */
  maxInMemory?: number;
  now?: () => number;
  /** Reports a failed write or an unreadable file; the store carries on. */
  onError?: (err: Error) => void;
}

/** {@link ConversationStore} in memory (bounded) with a file per response. */
export class FileConversationStore implements ConversationStore {
  readonly #memory = new Map<string, StoredResponse>();
  readonly #deleted = new Set<string>();
  readonly #pending = new Set<Promise<void>>();
  /** Responses put since the last flush, by id, to be written at the end of this event-loop turn. */
  readonly #unwritten = new Map<string, StoredResponse>();
  #flush: NodeJS.Immediate | undefined;
  readonly #dir: string | undefined;
  readonly #max: number;
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;

  private constructor(options: FileConversationStoreOptions) {
    this.#dir = options.dir;
    this.#max = options.maxInMemory ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /** Opens the store, creating its folder and removing the files of expired responses. */
  static async open(options: FileConversationStoreOptions = {}): Promise<FileConversationStore> {
    const store = new FileConversationStore(options);
    if (options.dir !== undefined) {
      await mkdir(options.dir, { recursive: true });
      await store.#sweep();
    }
    return store;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    if (!SAFE_ID.test(id) || this.#deleted.has(id)) return undefined;
    let entry = this.#memory.get(id) ?? this.#unwritten.get(id) ?? (await this.#read(id));
    if (entry && entry.expiresAt <= this.#now()) {
      await this.delete(id);
      entry = undefined;
    }
    return entry;
  }

  put(entry: StoredResponse): void {
    if (!SAFE_ID.test(entry.id)) return;
    this.#deleted.delete(entry.id);
    this.#memory.delete(entry.id);
    this.#memory.set(entry.id, entry);
    // The oldest leave memory first (Maps iterate in insertion order); their files stay.
    if (this.#memory.size > this.#max) this.#memory.delete(this.#memory.keys().next().value!);
    if (this.#dir !== undefined) {
      this.#unwritten.delete(entry.id);
      this.#unwritten.set(entry.id, entry);
      this.#flush ??= setImmediate(() => this.#writeAll());
    }
  }

  async delete(id: string): Promise<boolean> {
    if (!SAFE_ID.test(id)) return false;
    // Out of both, so a response deleted before its turn ended is never written.
    const inMemory = this.#memory.delete(id);
    const unwritten = this.#unwritten.delete(id);
    const known = inMemory || unwritten || (await this.#read(id)) !== undefined;
    this.#deleted.add(id);
    if (this.#dir !== undefined) this.#track(rm(this.#file(id), { force: true }));
    return known;
  }

  async close(): Promise<void> {
    this.#writeAll();
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #file(id: string): string {
    return join(this.#dir!, `${id}.json`);
  }

  #track(work: Promise<unknown>): void {
    const done = work.then(
      () => undefined,
      (err: unknown) => this.#onError(err instanceof Error ? err : new Error(String(err))),
    );
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }

  /**
   * Writes the responses put during this event-loop turn, a file each. Synchronously, in one
   * batch: promise-based file operations cost a thread-pool round trip each (~150 µs of CPU a
   * response), these system calls ~35 µs, and a batch holds at most the answers of one turn.
   * Straight to the file, not to a temporary one renamed over it: a response is written once,
   * so there is no older version to keep, and a file a crash cut short reads as unreadable,
   * which `get` treats as unknown and the sweep at the next start removes. The rename doubled
   * the cost.
   */
  #writeAll(): void {
    clearImmediate(this.#flush);
    this.#flush = undefined;
    for (const entry of this.#unwritten.values()) {
      try {
        writeFileSync(this.#file(entry.id), JSON.stringify(entry));
      } catch (err) {
        this.#onError(err as Error);
      }
    }
    this.#unwritten.clear();
  }

  async #read(id: string): Promise<StoredResponse | undefined> {
    if (this.#dir === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(this.#file(id), 'utf8');
    } catch {
      return undefined;
    }
    try {
      return storedSchema.parse(JSON.parse(text)) as StoredResponse;
    } catch (err) {
      this.#onError(new Error(`ignoring unreadable stored response ${id}: ${(err as Error).message}`));
      return undefined;
    }
  }

  async #sweep(): Promise<void> {
    const now = this.#now();
    for (const name of await readdir(this.#dir!)) {
      if (!name.endsWith('.json')) continue;
      const entry = await this.#read(name.slice(0, -'.json'.length));
      if (!entry || entry.expiresAt <= now) await rm(join(this.#dir!, name), { force: true });
    }
  }
}
