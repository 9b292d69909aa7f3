/**
 * Stored Responses conversations (`previous_response_id`, `GET`/`DELETE /v1/responses/{id}`):
 * each response the host served with `store` not false, with the input it answered (its own
 * history expanded) and its output, owned by the client that made it, kept for `responses.ttl`.
 * The default store keeps the newest lines in memory (`line-ring.ts`) and every one on disk
 * under `authDir/responses/` (see `response-log.ts`), appended at the end of the event-loop turn
 * that put it, so they survive restarts without one large file being rewritten per response.
 *
 * @module
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LineRing } from './line-ring.js';
import { type LogLine, RESPONSE_ID, ResponseLog } from './response-log.js';

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
  /**
   * Keeps a response; persisting happens in the background. `responseJson`, when given, is the
   * JSON text of `entry.response` (the answer as it was served): a store may use it, by the end
   * of the turn, instead of serialising the response again.
   */
  put(entry: StoredResponse, responseJson?: () => string): void;
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

const SAFE_ID = new RegExp(`^${RESPONSE_ID}$`);

/** Whether `id` can be a stored response's id (see {@link RESPONSE_ID}); any other is unknown to every store. */
export function isResponseId(id: string): boolean {
  return SAFE_ID.test(id);
}
/** Bytes of the newest responses' lines kept in memory by default (see `line-ring.ts`). */
const MEMORY_BYTES = 8 * 1024 * 1024;
/** How often the files of expired responses are looked for. */
const SWEEP_MS = 60_000;

export interface FileConversationStoreOptions {
  /** Folder of the files; without it, responses live in memory only. */
  dir?: string;
  /** Bytes of the newest responses' lines kept in memory (default 8 MiB); older ones are read from their files. */
  memoryBytes?: number;
  now?: () => number;
  /** Reports a failed write or an unreadable line; the store carries on. */
  onError?: (err: Error) => void;
}

/** {@link ConversationStore} in memory (bounded) over a {@link ResponseLog}. */
export class FileConversationStore implements ConversationStore {
  /** The lines of the newest responses written, parsed again when read (see `line-ring.ts` for why bytes). */
  readonly #memory: LineRing;
  /**
   * Responses put since the last flush, by id, to be appended at the end of this event-loop turn.
   * A new `Map` each turn, never a cleared one: a long-lived `Map` that is cleared keeps its old
   * table, entries and all, and a young-generation GC then keeps those entries alive (see
   * `http/live-set.ts`).
   */
  #unwritten = new Map<string, Unwritten>();
  #flush: NodeJS.Immediate | undefined;
  readonly #log: ResponseLog | undefined;
  readonly #reads = new Set<Promise<unknown>>();
  readonly #sweeper: NodeJS.Timeout | undefined;
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;

  private constructor(options: FileConversationStoreOptions, log: ResponseLog | undefined) {
    this.#log = log;
    this.#memory = new LineRing(options.memoryBytes ?? MEMORY_BYTES);
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    if (log) this.#sweeper = setInterval(() => void log.sweep(this.#now()), SWEEP_MS).unref();
  }

  /**
   * Opens the store, creating its folder and removing the files of expired responses. The
   * files of an earlier layout, one `<id>.json` per response, are moved into the log.
   */
  static async open(options: FileConversationStoreOptions = {}): Promise<FileConversationStore> {
    const onError = options.onError ?? (() => {});
    const now = (options.now ?? Date.now)();
    let log: ResponseLog | undefined;
    if (options.dir !== undefined) {
      await mkdir(options.dir, { recursive: true });
      log = await ResponseLog.open(options.dir, now, onError);
    }
    const store = new FileConversationStore(options, log);
    if (options.dir !== undefined) await store.#migrate(options.dir, now);
    return store;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    if (!isResponseId(id)) return undefined;
    let entry = this.#unwritten.get(id)?.entry ?? this.#remembered(id) ?? (await this.#read(id));
    if (entry && entry.expiresAt <= this.#now()) {
      await this.delete(id);
      entry = undefined;
    }
    return entry;
  }

  put(entry: StoredResponse, responseJson?: () => string): void {
    if (!isResponseId(entry.id)) return;
    // Its line replaces an older one of the same id when written; until then a read finds it here first.
    this.#unwritten.delete(entry.id);
    this.#unwritten.set(entry.id, { entry, responseJson });
    this.#flush ??= setImmediate(() => this.#writeAll());
  }

  async delete(id: string): Promise<boolean> {
    if (!isResponseId(id)) return false;
    // Out of both, so a response deleted before its turn ended is never written.
    const inMemory = this.#memory.delete(id);
    const unwritten = this.#unwritten.delete(id);
    const onDisk = this.#log?.has(id, this.#now()) ?? false;
    this.#log?.erase(id);
    return inMemory || unwritten || onDisk;
  }

  async close(): Promise<void> {
    this.#writeAll();
    clearInterval(this.#sweeper);
    while (this.#reads.size > 0) await Promise.all(this.#reads);
    this.#log?.close();
  }

  /**
   * Makes the lines of the responses put during this event-loop turn, keeps them in memory and
   * appends them in one write. Synchronously: promise-based file operations cost a thread-pool
   * round trip each (~150 µs of CPU a response), the write's system call ~9 µs a batch, and a
   * batch holds at most the answers of one turn.
   */
  #writeAll(): void {
    clearImmediate(this.#flush);
    this.#flush = undefined;
    if (this.#unwritten.size === 0) return;
    const unwritten = this.#unwritten;
    this.#unwritten = new Map();
    const now = this.#now();
    let lines: LogLine[] = [];
    let pending = 0;
    for (const { entry, responseJson } of unwritten.values()) {
      const bytes = this.#memory.put(entry.id, ResponseLog.line(entry.id, entry.expiresAt, members(entry, responseJson)));
      lines.push({ id: entry.id, expiresAt: entry.expiresAt, bytes });
      pending += bytes.length;
      // The ring's views outlive half a ring of lines put after them: a larger batch goes in parts.
      if (pending >= this.#memory.capacity / 4) {
        this.#log?.append(lines, now);
        lines = [];
        pending = 0;
      }
    }
    this.#log?.append(lines, now);
  }

  /** The response of a line kept in memory. */
  #remembered(id: string): StoredResponse | undefined {
    const line = this.#memory.get(id);
    return line === undefined ? undefined : this.#entry(id, JSON.parse(line));
  }

  async #read(id: string): Promise<StoredResponse | undefined> {
    if (!this.#log?.has(id, this.#now())) return undefined;
    const reading = this.#log.read(id);
    this.#reads.add(reading);
    const value = await reading.finally(() => this.#reads.delete(reading));
    return value === undefined ? undefined : this.#entry(id, value);
  }

  /** A line's value as a stored response; undefined (reported) when it is not one. */
  #entry(id: string, value: unknown): StoredResponse | undefined {
    const parsed = storedSchema.safeParse(withOutput(value));
    if (parsed.success) return parsed.data as StoredResponse;
    this.#onError(new Error(`ignoring unreadable stored response ${id}: ${parsed.error.message}`));
    return undefined;
  }

  /** Moves the responses of the one-file-each layout into the log (the live ones) and removes their files. */
  async #migrate(dir: string, now: number): Promise<void> {
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, name);
      try {
        const entry = storedSchema.parse(JSON.parse(await readFile(file, 'utf8'))) as StoredResponse;
        if (entry.expiresAt > now && isResponseId(entry.id)) this.#unwritten.set(entry.id, { entry });
      } catch (err) {
        // A parser's message quotes the text, a conversation's content.
        const why = err instanceof SyntaxError ? 'not JSON' : (err as Error).message;
        this.#onError(new Error(`ignoring unreadable stored response file ${name}: ${why}`));
      }
      // Written before they are removed, so a crash in between loses nothing.
      this.#writeAll();
      await rm(file, { force: true });
    }
  }
}

/** A response put and not yet written, with its served JSON text when the caller had it. */
interface Unwritten {
  entry: StoredResponse;
  responseJson?: () => string;
}

/**
 * A stored response's members after its id and expiry, as its line holds them. Its output is
 * left out when it is the response's own (always, for what the host stores): it would be written
 * twice, and reading the line takes it back from the response. The response is the text it was
 * served as, when there is one that fits on a line (an upstream's own bytes may be pretty-printed).
 */
function members(entry: StoredResponse, responseJson?: () => string): string {
  const own = (entry.response as { output?: unknown } | null)?.output === entry.output;
  const head = JSON.stringify(own ? { owner: entry.owner, input: entry.input } : { owner: entry.owner, input: entry.input, output: entry.output });
  let response = responseJson?.();
  if (response === undefined || response.includes('\n')) response = JSON.stringify(entry.response) ?? 'null';
  return `${head.slice(1, -1)},"response":${response}`;
}

/** A line read back, with its output taken from its response when the line left it out. */
function withOutput(value: unknown): unknown {
  const line = value as { output?: unknown; response?: { output?: unknown } } | null;
  if (line === null || typeof line !== 'object' || line.output !== undefined) return value;
  return { ...line, output: line.response?.output };
}
