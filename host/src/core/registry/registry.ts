/**
 * The model registry: which model names (aliases included) the upstream credentials serve,
 * reference counted per credential, after CLIProxyAPI's registry. A model exists while at least
 * one credential registers it. Whether a credential can serve a model now is never kept here: it
 * is derived from the state store's cooldowns (an {@link Availability} lookup) when asked, so a
 * credential free again after `Retry-After: 2` counts again after 2 s, and a model hidden while
 * every key was benched is listed again as soon as one cooldown ends.
 *
 * Every request consults the registrations, so lookups are map reads and the derived views
 * (provider order, credential ids, sorted ids) are cached and dropped on change.
 *
 * @module
 */
import { type Availability, EMPTY, ModelRecord, type ModelView } from './model-record.js';

export type { Availability, ModelView, Unavailable } from './model-record.js';

/** One model of {@link ModelRegistry.models}. */
export interface ModelEntry {
  readonly id: string;
  /** Providers by registration count descending, then name ascending. */
  readonly providers: readonly string[];
  /** Credentials registering the model. */
  readonly count: number;
  /** Credentials that can serve it now. */
  readonly available: number;
}

/** Everything is available: a registry asked without a state store behind it. */
const ALWAYS: Availability = () => undefined;

/** Reference-counted registrations of model names by credentials (`provider#index`). */
export class ModelRegistry {
  readonly #models = new Map<string, ModelRecord>();
  /** Credential id -> the model names it registers. */
  readonly #credentials = new Map<string, ReadonlySet<string>>();
  #sortedIds: readonly string[] | undefined;

  /** @param availability - what holds a credential back from a model now (the state store's view) */
  constructor(private readonly availability: Availability = ALWAYS) {}

  /**
   * Reconciles a credential's registration to exactly `models` (the names clients use).
   * Repeated names count once; names no longer listed are released; a changed `provider` moves
   * the credential's counts to it. Empty names are ignored, and an empty list unregisters.
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
    }
    this.#credentials.set(credentialId, wanted);
  }

  /** Releases every model the credential registers; a model whose count reaches 0 disappears. */
  unregister(credentialId: string): void {
    const models = this.#credentials.get(credentialId);
    if (!models) return;
    for (const model of models) this.#release(credentialId, model);
    this.#credentials.delete(credentialId);
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

  /** Registered credentials that can serve the model at `now`; 0 if unknown. */
  availableCount(model: string, now: number = Date.now()): number {
    return this.#models.get(model)?.available(now, this.availability) ?? 0;
  }

  /**
   * The listable models at `now`, sorted by id: those with a credential that can serve them,
   * plus those whose credentials all wait only for quota (so they stay visible).
   */
  models(now: number = Date.now()): ModelEntry[] {
    const entries: ModelEntry[] = [];
    for (const id of this.#ids()) {
      const record = this.#models.get(id)!;
      if (!record.listable(now, this.availability)) continue;
      entries.push({ id, providers: record.providers(), count: record.count, available: record.available(now, this.availability) });
    }
    return entries;
  }

  /** Every registered model at `now`, sorted by model, for the management API. */
  view(now: number = Date.now()): ModelView[] {
    return this.#ids().map((id) => this.#models.get(id)!.view(now, this.availability));
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
