/**
 * The model registry: which model names (aliases included) the upstream credentials serve,
 * reference counted per credential, after CLIProxyAPI's registry. A model exists while at least
 * one credential registers it. Quota stamps and suspensions take a credential out of a model's
 * available count without unregistering it.
 *
 * Every request consults it, so lookups are map reads and derived views (provider order,
 * credential ids, the listing) are cached and dropped on change; the listing also expires when
 * the earliest quota window in it closes.
 *
 * @module
 */
import { EMPTY, ModelRecord, type ModelView } from './model-record.js';

export { QUOTA_WINDOW_MS, type ModelView } from './model-record.js';

/** One model of {@link ModelRegistry.models}. Shared with the cache: frozen, do not mutate. */
export interface ModelEntry {
  readonly id: string;
  /** Providers by registration count descending, then name ascending. */
  readonly providers: readonly string[];
  /** Credentials registering the model. */
  readonly count: number;
  /** Credentials neither suspended nor inside a quota window. */
  readonly available: number;
}

/** The cached listing and the span of `now` values it is correct for: [from, until). */
interface Listing {
  readonly entries: readonly ModelEntry[];
  readonly from: number;
  readonly until: number;
}

/** Reference-counted registrations of model names by credentials (`provider#index`). */
export class ModelRegistry {
  readonly #models = new Map<string, ModelRecord>();
  /** Credential id → the model names it registers. */
  readonly #credentials = new Map<string, ReadonlySet<string>>();
  #sortedIds: readonly string[] | undefined;
  #listing: Listing | undefined;

  /**
   * Reconciles a credential's registration to exactly `models` (the names clients use).
   * Repeated names count once; names no longer listed are released; a changed `provider` moves
   * the credential's counts to it. Clears the credential's quota stamps and suspensions, since a
   * fresh registration is a fresh start. Empty names are ignored, and an empty list unregisters.
   */
  register(credentialId: string, provider: string, models: readonly string[]): void {
    const wanted = new Set<string>();
    for (const model of models) if (model !== '') wanted.add(model);
    if (wanted.size === 0) {
      this.unregister(credentialId);
      return;
    }
    const previous = this.#credentials.get(credentialId);
    if (previous) for (const model of previous) if (!wanted.has(model)) this.#release(credentialId, model);
    for (const model of wanted) {
      let record = this.#models.get(model);
      if (!record) {
        record = new ModelRecord(model);
        this.#models.set(model, record);
        this.#sortedIds = undefined;
      }
      record.set(credentialId, provider);
      record.clearMarks(credentialId);
    }
    this.#credentials.set(credentialId, wanted);
    this.#listing = undefined;
  }

  /** Releases every model the credential registers; a model whose count reaches 0 disappears. */
  unregister(credentialId: string): void {
    const models = this.#credentials.get(credentialId);
    if (!models) return;
    for (const model of models) this.#release(credentialId, model);
    this.#credentials.delete(credentialId);
    this.#listing = undefined;
  }

  /**
   * Takes the credential out of the model's available count until {@link QUOTA_WINDOW_MS} after
   * `now`. Ignored unless the credential registers the model.
   */
  markQuotaExceeded(credentialId: string, model: string, now: number = Date.now()): void {
    if (this.#models.get(model)?.markQuota(credentialId, now)) this.#listing = undefined;
  }

  /** Ends the credential's quota window for the model early (e.g. after a success). */
  clearQuotaExceeded(credentialId: string, model: string): void {
    if (this.#models.get(model)?.clearQuota(credentialId)) this.#listing = undefined;
  }

  /**
   * Takes the credential out of the model's available count until {@link resume}. Suspending
   * again replaces the reason, so it always tells why the credential is out now. A reason of
   * `'quota'` keeps the model listed; any other hides it once no credential is available.
   * Ignored unless the credential registers the model.
   */
  suspend(credentialId: string, model: string, reason: string): void {
    if (this.#models.get(model)?.suspend(credentialId, reason)) this.#listing = undefined;
  }

  /** Lifts a suspension. */
  resume(credentialId: string, model: string): void {
    if (this.#models.get(model)?.resume(credentialId)) this.#listing = undefined;
  }

  /** Whether any credential registers the model, available or not. */
  has(model: string): boolean {
    return this.#models.has(model);
  }

  /** Providers registering the model, by count descending then name ascending. Cached; frozen. */
  providers(model: string): readonly string[] {
    return this.#models.get(model)?.providers() ?? EMPTY;
  }

  /** Credential ids registering the model, in registration order. Cached; frozen. */
  credentialsFor(model: string): readonly string[] {
    return this.#models.get(model)?.credentialIds() ?? EMPTY;
  }

  /** Registered credentials neither suspended nor inside a quota window at `now`; 0 if unknown. */
  availableCount(model: string, now: number = Date.now()): number {
    return this.#models.get(model)?.available(now) ?? 0;
  }

  /**
   * The listable models sorted by id: those with an available credential, plus those whose
   * credentials are all out only for quota (so they reappear by themselves). Cached until a
   * change or until the earliest open quota window closes; frozen.
   */
  models(now: number = Date.now()): readonly ModelEntry[] {
    const cached = this.#listing;
    if (cached && now >= cached.from && now < cached.until) return cached.entries;
    const entries: ModelEntry[] = [];
    let until = Infinity;
    for (const id of this.#ids()) {
      const record = this.#models.get(id)!;
      // Hidden models count too: a closing window can make one listable again.
      until = Math.min(until, record.nextQuotaExpiry(now));
      if (!record.listable(now)) continue;
      entries.push(
        Object.freeze({ id, providers: record.providers(), count: record.count, available: record.available(now) }),
      );
    }
    // `from` guards against callers passing an earlier `now`, when expired stamps would count again.
    this.#listing = { entries: Object.freeze(entries), from: now, until };
    return this.#listing.entries;
  }

  /** Every registered model at `now`, sorted by model, for the management API. Not cached. */
  view(now: number = Date.now()): ModelView[] {
    return this.#ids().map((id) => this.#models.get(id)!.view(now));
  }

  /** Model ids sorted by code unit (stable across locales); cached until a model comes or goes. */
  #ids(): readonly string[] {
    this.#sortedIds ??= [...this.#models.keys()].sort();
    return this.#sortedIds;
  }

  #release(credentialId: string, model: string): void {
    // Every name in a credential's set has a record: records go only when their count hits 0.
    const record = this.#models.get(model)!;
    record.delete(credentialId);
    if (record.count > 0) return;
    this.#models.delete(model);
    this.#sortedIds = undefined;
  }
}
