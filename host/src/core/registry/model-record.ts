/**
 * The registry's record of one model name: which credentials register it (and under which
 * provider). Whether each can serve it now is not kept here: it is asked of the state store's
 * cooldowns through an {@link Availability} lookup at the moment of asking, so it can never
 * drift from what the conductor will skip. Derived views (provider order, credential ids) are
 * cached and rebuilt only after a registration changes.
 *
 * @module
 */

/** Shared so that lookups of unknown models return an array without allocating one. */
export const EMPTY: readonly string[] = Object.freeze([]);

/** Why a credential cannot serve a model now, and until when. */
export interface Unavailable {
  reason: string;
  /** Epoch ms. */
  until: number;
}

/** What holds a credential back from a model at `now`: undefined when it can serve it. */
export type Availability = (credentialId: string, model: string, now: number) => Unavailable | undefined;

/** One model in the management view. Built fresh on every call, so callers may keep it. */
export interface ModelView {
  model: string;
  /** Registrations per provider, in the order of {@link ModelRecord.providers}. */
  providers: Record<string, number>;
  count: number;
  available: number;
  /** Credentials cooling down on quota now, in registration order. */
  quotaExceeded: string[];
  /** Credentials held back for another reason now, and why, in registration order. */
  suspended: Record<string, string>;
}

/** The reason that still keeps a model listed: the credential only waits for quota. */
const QUOTA = 'quota';

/** Registrations of one model. */
export class ModelRecord {
  /** Credential id -> provider; a Map so that iteration follows registration order. */
  readonly #credentials = new Map<string, string>();
  readonly #providerCounts = new Map<string, number>();
  #providers: readonly string[] | undefined;
  #credentialIds: readonly string[] | undefined;

  constructor(readonly id: string) {}

  /** Credentials registering the model; each counts once however often its list names it. */
  get count(): number {
    return this.#credentials.size;
  }

  /** Adds a credential, or moves it to `provider` when it was registered under another one. */
  set(credentialId: string, provider: string): void {
    const previous = this.#credentials.get(credentialId);
    if (previous === provider) return;
    if (previous === undefined) this.#credentialIds = undefined;
    else this.#decrement(previous);
    // Map.set on an existing key keeps its position, so a provider move keeps registration order.
    this.#credentials.set(credentialId, provider);
    this.#providerCounts.set(provider, (this.#providerCounts.get(provider) ?? 0) + 1);
    this.#providers = undefined;
  }

  delete(credentialId: string): void {
    const provider = this.#credentials.get(credentialId);
    if (provider === undefined) return;
    this.#credentials.delete(credentialId);
    this.#decrement(provider);
    this.#providers = undefined;
    this.#credentialIds = undefined;
  }

  /** Providers by registration count descending, then name ascending; cached until a change. */
  providers(): readonly string[] {
    this.#providers ??= Object.freeze(
      [...this.#providerCounts.keys()].sort((a, b) => {
        const byCount = this.#providerCounts.get(b)! - this.#providerCounts.get(a)!;
        if (byCount !== 0) return byCount;
        return a < b ? -1 : a > b ? 1 : 0;
      }),
    );
    return this.#providers;
  }

  /** Credential ids in registration order; cached until one joins or leaves. */
  credentialIds(): readonly string[] {
    this.#credentialIds ??= Object.freeze([...this.#credentials.keys()]);
    return this.#credentialIds;
  }

  /** Credentials that can serve the model at `now`. */
  available(now: number, availability: Availability): number {
    let available = 0;
    for (const credentialId of this.#credentials.keys()) if (!availability(credentialId, this.id, now)) available++;
    return available;
  }

  /**
   * Whether listings show the model at `now`: some credential can serve it, or every one held
   * back only waits for quota, so a model cooling down stays visible while one whose keys are
   * all rejected (401, 403, ...) disappears, and comes back the moment a cooldown ends.
   */
  listable(now: number, availability: Availability): boolean {
    for (const credentialId of this.#credentials.keys()) {
      const held = availability(credentialId, this.id, now);
      if (!held || held.reason === QUOTA) return true;
    }
    return false;
  }

  /** The management view of this model at `now`. */
  view(now: number, availability: Availability): ModelView {
    const providers: Record<string, number> = {};
    for (const provider of this.providers()) providers[provider] = this.#providerCounts.get(provider)!;
    const quotaExceeded: string[] = [];
    const suspended: Record<string, string> = {};
    let available = 0;
    for (const credentialId of this.#credentials.keys()) {
      const held = availability(credentialId, this.id, now);
      if (!held) available++;
      else if (held.reason === QUOTA) quotaExceeded.push(credentialId);
      else suspended[credentialId] = held.reason;
    }
    return { model: this.id, providers, count: this.count, available, quotaExceeded, suspended };
  }

  #decrement(provider: string): void {
    const remaining = this.#providerCounts.get(provider)! - 1;
    if (remaining === 0) this.#providerCounts.delete(provider);
    else this.#providerCounts.set(provider, remaining);
  }
}
