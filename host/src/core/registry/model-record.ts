/**
 * The registry's state for one model name: which credentials register it (and under which
 * provider), which of them are cooling down on quota, and which are suspended. Derived views
 * (provider order, credential ids) are cached here and rebuilt only after a change.
 *
 * @module
 */

/** How long a quota-exceeded stamp keeps a credential from counting for a model. */
export const QUOTA_WINDOW_MS = 300_000;

/** The suspension reason that still keeps a model listed: the credential only waits for quota. */
const QUOTA_REASON = 'quota';

/** Shared so that lookups of unknown models return an array without allocating one. */
export const EMPTY: readonly string[] = Object.freeze([]);

/** One model in the management view. Built fresh on every call, so callers may keep it. */
export interface ModelView {
  model: string;
  /** Registrations per provider, in the order of {@link ModelRecord.providers}. */
  providers: Record<string, number>;
  count: number;
  available: number;
  /** Credentials whose quota window is still open, in registration order. */
  quotaExceeded: string[];
  /** Suspended credentials and why, in registration order. */
  suspended: Record<string, string>;
}

/**
 * Registrations of one model. Invariant kept by the registry: every credential in the quota and
 * suspension maps also registers the model, so counting unavailable credentials never goes
 * below zero and needs no clamping.
 */
export class ModelRecord {
  /** Credential id → provider; a Map so that iteration follows registration order. */
  readonly #credentials = new Map<string, string>();
  readonly #providerCounts = new Map<string, number>();
  /** Credential id → epoch ms of its latest quota-exceeded stamp (expired stamps included). */
  readonly #quota = new Map<string, number>();
  /** Credential id → suspension reason. */
  readonly #suspended = new Map<string, string>();
  #providers: readonly string[] | undefined;
  #credentialIds: readonly string[] | undefined;

  constructor(readonly id: string) {}

  /** Credentials registering the model; each counts once however often its list names it. */
  get count(): number {
    return this.#credentials.size;
  }

  has(credentialId: string): boolean {
    return this.#credentials.has(credentialId);
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

  /** Drops a credential along with its quota stamp and suspension. */
  delete(credentialId: string): void {
    const provider = this.#credentials.get(credentialId);
    if (provider === undefined) return;
    this.#credentials.delete(credentialId);
    this.#decrement(provider);
    this.clearMarks(credentialId);
    this.#providers = undefined;
    this.#credentialIds = undefined;
  }

  /** Forgets the credential's quota stamp and suspension. */
  clearMarks(credentialId: string): void {
    this.#quota.delete(credentialId);
    this.#suspended.delete(credentialId);
  }

  /** Stamps a quota-exceeded time; returns whether anything changed. */
  markQuota(credentialId: string, at: number): boolean {
    if (!this.#credentials.has(credentialId) || this.#quota.get(credentialId) === at) return false;
    this.#quota.set(credentialId, at);
    return true;
  }

  /** Returns whether a stamp was removed. */
  clearQuota(credentialId: string): boolean {
    return this.#quota.delete(credentialId);
  }

  /** Suspends (or re-labels the suspension of) a credential; returns whether anything changed. */
  suspend(credentialId: string, reason: string): boolean {
    if (!this.#credentials.has(credentialId) || this.#suspended.get(credentialId) === reason) return false;
    this.#suspended.set(credentialId, reason);
    return true;
  }

  /** Returns whether a suspension was lifted. */
  resume(credentialId: string): boolean {
    return this.#suspended.delete(credentialId);
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

  /**
   * Credentials neither suspended nor inside a quota window at `now`. A credential that is both
   * counts once, so one bad key cannot hide a healthy one.
   */
  available(now: number): number {
    // Fast path for the usual state; avoids creating an iterator on the request path.
    if (this.#quota.size === 0) return this.count - this.#suspended.size;
    let unavailable = this.#suspended.size;
    for (const [credentialId, at] of this.#quota) {
      if (inQuotaWindow(at, now) && !this.#suspended.has(credentialId)) unavailable++;
    }
    return this.count - unavailable;
  }

  /**
   * Whether listings show the model: some credential is available, or every unavailable one only
   * waits for quota, so a model cooling down stays visible while one whose keys are all rejected
   * (401, 403, ...) disappears.
   */
  listable(now: number): boolean {
    if (this.available(now) > 0) return true;
    for (const reason of this.#suspended.values()) if (reason !== QUOTA_REASON) return false;
    return true;
  }

  /** When the earliest quota window still open at `now` closes; Infinity when none is open. */
  nextQuotaExpiry(now: number): number {
    let earliest = Infinity;
    for (const at of this.#quota.values()) {
      const end = at + QUOTA_WINDOW_MS;
      if (end > now && end < earliest) earliest = end;
    }
    return earliest;
  }

  /** The management view of this model at `now`. */
  view(now: number): ModelView {
    const providers: Record<string, number> = {};
    for (const provider of this.providers()) providers[provider] = this.#providerCounts.get(provider)!;
    const quotaExceeded: string[] = [];
    const suspended: Record<string, string> = {};
    for (const credentialId of this.#credentials.keys()) {
      const at = this.#quota.get(credentialId);
      if (at !== undefined && inQuotaWindow(at, now)) quotaExceeded.push(credentialId);
      const reason = this.#suspended.get(credentialId);
      if (reason !== undefined) suspended[credentialId] = reason;
    }
    return { model: this.id, providers, count: this.count, available: this.available(now), quotaExceeded, suspended };
  }

  #decrement(provider: string): void {
    const remaining = this.#providerCounts.get(provider)! - 1;
    if (remaining === 0) this.#providerCounts.delete(provider);
    else this.#providerCounts.set(provider, remaining);
  }
}

/** A stamp later than `now` (clock skew, or a caller's explicit time) counts as inside. */
function inQuotaWindow(at: number, now: number): boolean {
  return now < at + QUOTA_WINDOW_MS;
}
