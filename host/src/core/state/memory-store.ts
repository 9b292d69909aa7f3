/**
 * The default state store: everything lives in process memory, so the hot path never waits on
 * disk. Given a folder, cooldowns and counters survive restarts in `<dir>/state.json`, written
 * in the background; cursors and session bindings are cheap to lose and are not persisted.
 *
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CooldownReason, CredentialCounters, ModelState, StateStore } from './types.js';

/** How a {@link MemoryStateStore} persists; every field is optional. */
export interface MemoryStateStoreOptions {
  /** Folder of `state.json`; without it nothing is persisted. */
  dir?: string;
  /** How long after a change the file is written, so bursts of changes cost one write. */
  flushDelayMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Reports an unreadable state file or a failed write; the store carries on in memory. */
  onError?: (err: Error) => void;
  /** Called after each completed write, for tests. */
  onWrite?: () => void;
}

/** The file's shape, versioned so a future format can tell an old file apart. */
interface StateFile {
  version: 1;
  savedAt: number;
  credentials: Record<string, { counters?: CredentialCounters; models?: Record<string, ModelState> }>;
}

/** Cursor keys are (pool, model) pairs; clearing past this only restarts round-robins. */
const MAX_CURSOR_KEYS = 4096;
/** Session keys come from clients, so their number must be bounded. */
const MAX_SESSIONS = 100_000;
/** A record rather than a list, so the compiler flags a reason missing here. */
const REASONS: Record<CooldownReason, true> = {
  quota: true, unauthorized: true, payment_required: true, forbidden: true, not_found: true,
  model_not_supported: true, transient: true,
};

/**
 * {@link StateStore} in memory, optionally persisted to a folder: open it with
 * {@link MemoryStateStore.open} and close it on shutdown.
 */
export class MemoryStateStore implements StateStore {
  readonly #models = new Map<string, Map<string, ModelState>>();
  readonly #counters = new Map<string, CredentialCounters>();
  readonly #cursors = new Map<string, number>();
  readonly #sessions = new Map<string, { credentialId: string; expiresAt: number }>();
  readonly #file: string | undefined;
  readonly #flushDelayMs: number;
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;
  readonly #onWrite: (() => void) | undefined;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #closed = false;

  /** An empty store; with `dir` it persists but restores nothing (see {@link open}). */
  constructor(options: MemoryStateStoreOptions = {}) {
    this.#file = options.dir === undefined ? undefined : join(options.dir, 'state.json');
    this.#flushDelayMs = options.flushDelayMs ?? 200;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#onWrite = options.onWrite;
  }

  /**
   * A store that restores `<dir>/state.json` (cooldowns already over are dropped), creating
   * `dir` if needed. A corrupt or unreadable file goes to `onError` and the store starts empty.
   * Rejects only when `dir` cannot be created.
   */
  static async open(options: MemoryStateStoreOptions = {}): Promise<MemoryStateStore> {
    const store = new MemoryStateStore(options);
    if (options.dir !== undefined) {
      await mkdir(options.dir, { recursive: true });
      await store.#restore();
    }
    return store;
  }

  modelState(credentialId: string, model: string): ModelState | undefined {
    return this.#models.get(credentialId)?.get(model);
  }

  setModelState(credentialId: string, model: string, state: ModelState | undefined): void {
    let models = this.#models.get(credentialId);
    if (state === undefined) {
      if (!models?.delete(model)) return;
      if (models.size === 0) this.#models.delete(credentialId);
    } else {
      if (!models) this.#models.set(credentialId, (models = new Map()));
      models.set(model, state);
    }
    this.#changed();
  }

  modelStates(credentialId: string): ReadonlyMap<string, ModelState> {
    // A copy, so a caller iterating it is not affected by later changes.
    return new Map(this.#models.get(credentialId));
  }

  clearCredential(credentialId: string): void {
    if (this.#models.delete(credentialId)) this.#changed();
  }

  counters(credentialId: string): CredentialCounters {
    const counters = this.#counters.get(credentialId);
    return counters ? { ...counters } : { successes: 0, failures: 0 };
  }

  recordResult(credentialId: string, success: boolean): void {
    let counters = this.#counters.get(credentialId);
    if (!counters) this.#counters.set(credentialId, (counters = { successes: 0, failures: 0 }));
    if (success) counters.successes++;
    else counters.failures++;
    this.#changed();
  }

  nextCursor(key: string): number {
    const cursor = this.#cursors.get(key);
    if (cursor === undefined && this.#cursors.size >= MAX_CURSOR_KEYS) this.#cursors.clear();
    this.#cursors.set(key, (cursor ?? 0) + 1);
    return cursor ?? 0;
  }

  session(key: string, now: number): string | undefined {
    const binding = this.#sessions.get(key);
    if (binding && binding.expiresAt > now) return binding.credentialId;
    // Expired bindings go lazily, when a lookup finds them.
    this.#sessions.delete(key);
    return undefined;
  }

  bindSession(key: string, credentialId: string, expiresAt: number): void {
    // Delete first so a rebound key counts as the newest when the oldest are dropped.
    this.#sessions.delete(key);
    this.#sessions.set(key, { credentialId, expiresAt });
    if (this.#sessions.size > MAX_SESSIONS) {
      // Maps iterate in insertion order, so the first key is the oldest binding.
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
  }

  unbindSession(key: string, credentialId?: string): void {
    const bound = this.#sessions.get(key)?.credentialId;
    if (credentialId === undefined || bound === credentialId) this.#sessions.delete(key);
  }

  retain(ids: ReadonlySet<string>): void {
    let changed = false;
    for (const map of [this.#models, this.#counters]) {
      for (const id of map.keys()) if (!ids.has(id)) changed = map.delete(id) || changed;
    }
    for (const [key, binding] of this.#sessions) {
      if (!ids.has(binding.credentialId)) this.#sessions.delete(key);
    }
    if (changed) this.#changed();
  }

  /** Writes now if anything changed since the last write, after any write in flight. */
  async flush(): Promise<void> {
    // A loop, because a concurrent flush may have started another write meanwhile.
    while (this.#writing) await this.#writing;
    if (!this.#dirty) return;
    this.#startWrite();
    await this.#writing;
  }

  /** Flushes; later changes stay in memory only. */
  async close(): Promise<void> {
    // Set first, so no write completing during the flush arms a new timer.
    this.#closed = true;
    await this.flush();
  }

  #changed(): void {
    if (this.#file === undefined) return;
    this.#dirty = true;
    this.#arm();
  }

  /**
   * Not reset by later changes, so a steady stream of changes still reaches disk every
   * `flushDelayMs`. While a write is in flight, its completion arms the timer instead.
   */
  #arm(): void {
    if (this.#closed || this.#timer || this.#writing) return;
    this.#timer = setTimeout(() => this.#startWrite(), this.#flushDelayMs);
    // Pending state must never keep the process alive; close() flushes it.
    this.#timer.unref();
  }

  #startWrite(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = false;
    this.#writing = this.#write().then(
      () => {
        this.#writing = undefined;
        this.#onWrite?.();
        if (this.#dirty) this.#arm();
      },
      (err: unknown) => {
        this.#writing = undefined;
        // Each write holds the whole state, so the next change (or flush) retries all of it;
        // not retrying on a timer keeps a full disk from reporting an error every interval.
        this.#dirty = true;
        this.#onError(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Writes a temporary file and renames it over the old one: a crash leaves one or the other. */
  async #write(): Promise<void> {
    const file = this.#file as string;
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(this.#snapshot()));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  }

  #snapshot(): StateFile {
    const credentials: StateFile['credentials'] = {};
    for (const [id, counters] of this.#counters) credentials[id] = { counters: { ...counters } };
    for (const [id, models] of this.#models) {
      (credentials[id] ??= {}).models = Object.fromEntries(models);
    }
    return { version: 1, savedAt: this.#now(), credentials };
  }

  async #restore(): Promise<void> {
    const file = this.#file as string;
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.#onError(err);
    });
    if (text === undefined) return;
    try {
      // Parsed whole before anything is kept, so a bad file never half-restores.
      const { counters, models } = parseStateFile(JSON.parse(text), this.#now());
      for (const [id, c] of counters) this.#counters.set(id, c);
      for (const [id, m] of models) this.#models.set(id, m);
    } catch (err) {
      this.#onError(new Error(`ignoring unreadable state file ${file}: ${(err as Error).message}`));
    }
  }
}

/** Validates a parsed state file and drops cooldowns over at `now`; throws if malformed. */
function parseStateFile(data: unknown, now: number) {
  if (!isObject(data) || data.version !== 1 || !isObject(data.credentials)) {
    throw new Error('not a version 1 state file');
  }
  const counters = new Map<string, CredentialCounters>();
  const models = new Map<string, Map<string, ModelState>>();
  for (const [id, entry] of Object.entries(data.credentials)) {
    if (!isObject(entry)) throw new Error(`bad entry for ${id}`);
    const c = entry.counters;
    if (c !== undefined) {
      if (!isObject(c) || !isCount(c.successes) || !isCount(c.failures)) {
        throw new Error(`bad counters for ${id}`);
      }
      counters.set(id, { successes: c.successes, failures: c.failures });
    }
    if (entry.models === undefined) continue;
    if (!isObject(entry.models)) throw new Error(`bad models for ${id}`);
    const live = new Map<string, ModelState>();
    for (const [model, value] of Object.entries(entry.models)) {
      const state = toModelState(value);
      if (!state) throw new Error(`bad state for ${id} ${model}`);
      if (state.until > now) live.set(model, state);
    }
    if (live.size > 0) models.set(id, live);
  }
  return { counters, models };
}

/** A copy of the known fields only, so nothing else a hand-edited file holds leaks through. */
function toModelState(v: unknown): ModelState | undefined {
  if (!isObject(v) || typeof v.until !== 'number' || !Number.isFinite(v.until)) return undefined;
  const { until, reason, backoffLevel } = v;
  if (typeof reason !== 'string' || !Object.hasOwn(REASONS, reason)) return undefined;
  if (!isCount(backoffLevel)) return undefined;
  const state: ModelState = { until, reason: reason as CooldownReason, backoffLevel };
  if (typeof v.status === 'number') state.status = v.status;
  if (typeof v.message === 'string') state.message = v.message;
  return state;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
