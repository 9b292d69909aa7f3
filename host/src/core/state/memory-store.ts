/**
 * The default state store: everything lives in process memory, so the hot path never waits on
 * disk. Given a folder, cooldowns and counters survive restarts in `<dir>/state.json` and usage
 * in `<dir>/usage.json`, written in the background; cursors and session bindings are cheap to
 * lose and are not persisted.
 *
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { extendCooldown } from './cooldowns.js';
import type { CooldownReason, CredentialCounters, ModelState, StateStore, StoreHealth } from './types.js';
import { UsageLedger, type UsageRow } from './usage.js';
import { UsageFile } from './usage-file.js';

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

/** Cursor keys are (pool, model) pairs; forgetting the least used only restarts its round-robin. */
const MAX_CURSOR_KEYS = 4096;
/** Session keys come from clients, so their number must be bounded: the least recently used go first. */
const MAX_SESSIONS = 100_000;
/** A record rather than a list, so the compiler flags a reason missing here. */
const REASONS: Record<CooldownReason, true> = {
  quota: true, headroom: true, unauthorized: true, payment_required: true, forbidden: true, not_found: true,
  model_not_supported: true, disabled: true, transient: true,
};
const REASON_NAMES = Object.keys(REASONS) as [CooldownReason, ...CooldownReason[]];

const count = z.number().int().nonnegative();
/** One cooldown as the file keeps it; only these fields are kept, whatever a hand-edited file holds. */
const modelStateSchema = z.object({
  until: z.number().finite(),
  reason: z.enum(REASON_NAMES),
  backoffLevel: count,
  status: z.number().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
});
const stateFileSchema = z.object({
  version: z.literal(1),
  credentials: z.record(
    z.string(),
    z.object({
      counters: z.object({ successes: count, failures: count }).optional(),
      models: z.record(z.string(), modelStateSchema).optional(),
    }),
  ),
});

/**
 * {@link StateStore} in memory, optionally persisted to a folder: open it with
 * {@link MemoryStateStore.open} and close it on shutdown.
 */
export class MemoryStateStore implements StateStore {
  readonly #models = new Map<string, Map<string, ModelState>>();
  readonly #counters = new Map<string, CredentialCounters>();
  readonly #cursors = new LRUCache<string, number>({ max: MAX_CURSOR_KEYS });
  readonly #inFlight = new Map<string, number>();
  /** Each binding keeps its own expiry, checked against the caller's `now` rather than the cache's clock. */
  readonly #sessions = new LRUCache<string, { credentialId: string; expiresAt: number }>({ max: MAX_SESSIONS });
  readonly #usage: UsageLedger;
  readonly #usageFile: UsageFile | undefined;
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
    this.#usage = new UsageLedger(this.#now);
    if (options.dir !== undefined) this.#usageFile = new UsageFile(options.dir, this.#usage, { onError: this.#onError });
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
      await Promise.all([store.#restore(), store.#usageFile!.restore()]);
    }
    return store;
  }

  modelState(credentialId: string, model: string): ModelState | undefined {
    return this.#models.get(credentialId)?.get(model);
  }

  setModelState(credentialId: string, model: string, state: ModelState | undefined): void {
    this.putModelState(credentialId, model, state === undefined ? undefined : extendCooldown(this.modelState(credentialId, model), state, this.#now()));
  }

  /**
   * Sets or clears a cooldown as given, without the extend-only rule: for a replica taking the
   * shared state's word, and for a shared state ending a cooldown it was told about.
   */
  putModelState(credentialId: string, model: string, state: ModelState | undefined): void {
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

  /** Adds results made elsewhere (a replica's deltas, another host's totals). */
  addCounters(credentialId: string, successes: number, failures: number): void {
    if (successes === 0 && failures === 0) return;
    let counters = this.#counters.get(credentialId);
    if (!counters) this.#counters.set(credentialId, (counters = { successes: 0, failures: 0 }));
    counters.successes += successes;
    counters.failures += failures;
    this.#changed();
  }

  /** Replaces a credential's counters (a replica taking the shared totals). */
  putCounters(credentialId: string, counters: CredentialCounters): void {
    this.#counters.set(credentialId, { ...counters });
    this.#changed();
  }

  cursor(key: string): number {
    return this.#cursors.get(key) ?? 0;
  }

  nextCursor(key: string): number {
    const cursor = this.#cursors.get(key) ?? 0;
    this.#cursors.set(key, cursor + 1);
    return cursor;
  }

  /** Moves a cursor by `delta` (another host's picks) or, with `absolute`, to a value. */
  moveCursor(key: string, delta: number, absolute = false): void {
    this.#cursors.set(key, absolute ? delta : (this.#cursors.get(key) ?? 0) + delta);
  }

  inFlight(credentialId: string): number {
    return this.#inFlight.get(credentialId) ?? 0;
  }

  adjustInFlight(credentialId: string, delta: number): void {
    const next = (this.#inFlight.get(credentialId) ?? 0) + delta;
    if (next <= 0) this.#inFlight.delete(credentialId);
    else this.#inFlight.set(credentialId, next);
  }

  addUsage(row: UsageRow): void {
    this.#usage.add(row);
    this.#usageFile?.changed();
  }

  async usage(from: number, to: number): Promise<UsageRow[]> {
    return this.#usage.rows(from, to);
  }

  health(): StoreHealth {
    return { store: 'memory', up: true };
  }

  /**
   * Copies of everything a replica or a shared state hands out whole; without `full`, cursors
   * and sessions (up to 100,000 of them) are left empty, for the frequent reconciles.
   */
  snapshot(full = true): {
    cooldowns: Map<string, Map<string, ModelState>>;
    counters: Map<string, CredentialCounters>;
    cursors: Map<string, number>;
    sessions: Map<string, { credentialId: string; expiresAt: number }>;
    inFlight: Map<string, number>;
  } {
    const now = this.#now();
    const cooldowns = new Map<string, Map<string, ModelState>>();
    for (const [id, models] of this.#models) {
      const live = new Map([...models].filter(([, state]) => state.until > now));
      if (live.size > 0) cooldowns.set(id, live);
    }
    const counters = new Map([...this.#counters].map(([id, c]) => [id, { ...c }]));
    const cursors = full ? new Map(this.#cursors.entries()) : new Map<string, number>();
    const sessions = new Map(full ? [...this.#sessions.entries()].filter(([, b]) => b.expiresAt > now).map(([k, b]) => [k, { ...b }]) : []);
    return { cooldowns, counters, cursors, sessions, inFlight: new Map(this.#inFlight) };
  }

  session(key: string, now: number): string | undefined {
    const binding = this.#sessions.get(key);
    if (binding && binding.expiresAt > now) return binding.credentialId;
    // Expired bindings go lazily, when a lookup finds them.
    this.#sessions.delete(key);
    return undefined;
  }

  bindSession(key: string, credentialId: string, expiresAt: number): void {
    this.#sessions.set(key, { credentialId, expiresAt });
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
    for (const [key, binding] of this.#sessions.entries()) {
      if (!ids.has(binding.credentialId)) this.#sessions.delete(key);
    }
    if (changed) this.#changed();
  }

  /** Writes now if anything changed since the last write, after any write in flight. */
  async flush(): Promise<void> {
    await this.#usageFile?.flush();
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
    await Promise.all([this.flush(), this.#usageFile?.close()]);
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
  const file = stateFileSchema.parse(data);
  const counters = new Map<string, CredentialCounters>();
  const models = new Map<string, Map<string, ModelState>>();
  for (const [id, entry] of Object.entries(file.credentials)) {
    if (entry.counters) counters.set(id, entry.counters);
    const live = new Map<string, ModelState>();
    for (const [model, state] of Object.entries(entry.models ?? {})) {
      if (state.until <= now) continue;
      const kept: ModelState = { until: state.until, reason: state.reason, backoffLevel: state.backoffLevel };
      if (state.status !== undefined) kept.status = state.status;
      if (state.message !== undefined) kept.message = state.message;
      live.set(model, kept);
    }
    if (live.size > 0) models.set(id, live);
  }
  return { counters, models };
}
