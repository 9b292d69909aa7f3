/**
 * The default {@link ConversationStore}: the newest lines in memory (`line-ring.ts`) and every
 * one on disk under `authDir/responses/` (see `response-log.ts`), appended in batches a few
 * milliseconds apart, so they survive restarts without one large file being rewritten per
 * response.
 *
 * @module
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConversationStore, isResponseId, type StoredResponse, type StoredTexts, storedSchema } from './conversations.js';
import { LineRing } from './line-ring.js';
import { type LogLine, ResponseLog } from './response-log.js';

/** Bytes of the newest responses' lines kept in memory by default (see `line-ring.ts`). */
const MEMORY_BYTES = 8 * 1024 * 1024;
/**
 * How long lines wait in memory to be appended together. A write system call costs ~5 µs
 * however short and more under load, against ~0.5 µs a KB; one a turn was one for every one or
 * two responses. A crash loses what waits; a close writes it.
 */
const APPEND_DELAY_MS = 10;
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
  /**
   * A stored request's input, read from the request's value. Given, a response put with its
   * request's text keeps that text, whose input is read back with this, instead of serialising
   * the input again (the request's other members, an agent's tools and instructions among them,
   * go on the line too).
   */
  inputOf?: (request: Record<string, unknown>) => unknown[];
}

/** {@link ConversationStore} in memory (bounded) over a {@link ResponseLog}. */
export class FileConversationStore implements ConversationStore {
  /** The lines of the newest responses written, parsed again when read (see `line-ring.ts` for why bytes). */
  readonly #memory: LineRing;
  /**
   * Responses put since the last flush, by id, to be made into lines at the end of this event-loop turn.
   * A new `Map` each turn, never a cleared one: a long-lived `Map` that is cleared keeps its old
   * table, entries and all, and a young-generation GC then keeps those entries alive (see
   * `http/live-set.ts`).
   */
  #unwritten = new Map<string, Unwritten>();
  #flush: NodeJS.Immediate | undefined;
  /** Lines in memory not yet appended to the log, oldest first, and their bytes. */
  #unappended: LogLine[] = [];
  #unappendedBytes = 0;
  #append: NodeJS.Timeout | undefined;
  readonly #log: ResponseLog | undefined;
  readonly #inputOf: ((request: Record<string, unknown>) => unknown[]) | undefined;
  readonly #reads = new Set<Promise<unknown>>();
  readonly #sweeper: NodeJS.Timeout | undefined;
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;

  private constructor(options: FileConversationStoreOptions, log: ResponseLog | undefined) {
    this.#log = log;
    this.#memory = new LineRing(options.memoryBytes ?? MEMORY_BYTES);
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#inputOf = options.inputOf;
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

  put(entry: StoredResponse, texts?: StoredTexts): void {
    if (!isResponseId(entry.id)) return;
    // Its line replaces an older one of the same id when written; until then a read finds it here first.
    this.#unwritten.delete(entry.id);
    this.#unwritten.set(entry.id, { entry, texts });
    this.#flush ??= setImmediate(() => this.#writeAll());
  }

  async delete(id: string): Promise<boolean> {
    if (!isResponseId(id)) return false;
    // Out of both, so a response deleted before its turn ended is never written.
    const inMemory = this.#memory.delete(id);
    const unwritten = this.#unwritten.delete(id);
    this.#forgetUnappended(id);
    const onDisk = this.#log?.has(id, this.#now()) ?? false;
    this.#log?.erase(id);
    return inMemory || unwritten || onDisk;
  }

  async close(): Promise<void> {
    this.#writeAll();
    this.#appendAll();
    clearInterval(this.#sweeper);
    while (this.#reads.size > 0) await Promise.all(this.#reads);
    this.#log?.close();
  }

  /**
   * Makes the lines of the responses put during this event-loop turn and keeps them in memory,
   * to be appended within {@link APPEND_DELAY_MS}. Appending is synchronous: promise-based file
   * operations cost a thread-pool round trip each (~150 µs of CPU a response).
   */
  #writeAll(): void {
    clearImmediate(this.#flush);
    this.#flush = undefined;
    if (this.#unwritten.size === 0) return;
    const unwritten = this.#unwritten;
    this.#unwritten = new Map();
    for (const { entry, texts } of unwritten.values()) {
      const bytes = this.#memory.put(entry.id, ResponseLog.line(entry.id, entry.expiresAt, this.#members(entry, texts)));
      if (!this.#log) continue;
      this.#unappended.push({ id: entry.id, expiresAt: entry.expiresAt, bytes });
      this.#unappendedBytes += bytes.length;
      // The ring's views outlive half a ring of lines put after them: a larger batch goes at once, in parts.
      if (this.#unappendedBytes >= this.#memory.capacity / 4) this.#appendAll();
    }
    if (this.#unappended.length > 0) this.#append ??= setTimeout(() => this.#appendAll(), APPEND_DELAY_MS);
  }

  /** Appends the lines waiting in memory, in one write. */
  #appendAll(): void {
    clearTimeout(this.#append);
    this.#append = undefined;
    const lines = this.#unappended;
    this.#unappended = [];
    this.#unappendedBytes = 0;
    this.#log?.append(lines, this.#now());
  }

  /** Drops the waiting line of a deleted response, so it never reaches the disk. */
  #forgetUnappended(id: string): void {
    const at = this.#unappended.findIndex((line) => line.id === id);
    if (at < 0) return;
    this.#unappendedBytes -= this.#unappended[at]!.bytes.length;
    this.#unappended.splice(at, 1);
  }

  /**
   * A stored response's members after its id and expiry, as its line holds them:
   * - its input, or the text of the request it was read from when the store can read it back
   *   (see {@link StoredTexts.request});
   * - its output, unless it is the response's own (always, for what the host stores): it would
   *   be written twice, and reading the line takes it back from the response;
   * - the response, as the text it was served as when there is one.
   * A text is used only when it fits on a line (an upstream's own bytes may be pretty-printed).
   */
  #members(entry: StoredResponse, texts: StoredTexts | undefined): string {
    const own = (entry.response as { output?: unknown } | null)?.output === entry.output;
    const request = this.#inputOf && own ? oneLine(texts?.request?.()) : undefined;
    const head =
      request !== undefined
        ? `"owner":${JSON.stringify(entry.owner)},"request":${request}`
        : JSON.stringify(own ? { owner: entry.owner, input: entry.input } : { owner: entry.owner, input: entry.input, output: entry.output }).slice(1, -1);
    const response = oneLine(texts?.response?.()) ?? JSON.stringify(entry.response) ?? 'null';
    return `${head},"response":${response}`;
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
    const parsed = storedSchema.safeParse(this.#whole(value));
    if (parsed.success) return parsed.data as StoredResponse;
    this.#onError(new Error(`ignoring unreadable stored response ${id}: ${parsed.error.message}`));
    return undefined;
  }

  /** A line read back, with its input read from its request and its output taken from its response where the line left them out. */
  #whole(value: unknown): unknown {
    const line = value as { input?: unknown; output?: unknown; request?: unknown; response?: { output?: unknown } } | null;
    if (line === null || typeof line !== 'object') return value;
    const request = line.request;
    const input = line.input === undefined && request !== null && typeof request === 'object' ? this.#inputOf?.(request as Record<string, unknown>) : line.input;
    return { ...line, input, output: line.output === undefined ? line.response?.output : line.output };
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

/** A response put and not yet written, with the texts the caller had. */
interface Unwritten {
  entry: StoredResponse;
  texts?: StoredTexts;
}

/**
 * `text` as a line can hold it: none when it holds a newline, and without the byte-order mark a
 * client may send before its JSON (fastify's parser skips it; `JSON.parse` does not).
 */
function oneLine(text: string | undefined): string | undefined {
  if (text === undefined || text.includes('\n')) return undefined;
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
