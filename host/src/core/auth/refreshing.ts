/**
 * One credential whose token expires, kept usable: it refreshes through its type's auth plugin
 * ahead of expiry (the refresher's background check) or when a call finds no valid token, never
 * twice at once (one refresh in flight, every caller waits for it), backs off after a failure
 * (1 s doubling to 5 min) with the error kept for management, and writes what the plugin hands
 * back to keep (a rotated refresh token) into the credential's file. A token that expired and
 * could not be refreshed makes the credential unavailable, not retried per request.
 *
 * @module
 */
import type { AuthCredential, AuthRefreshResult } from '@switchyard/plugin-sdk';
import { UpstreamError } from '../../upstream/errors.js';
import type { TokenSource } from '../../upstream/token-source.js';
import { type CredentialFile, parseExpiry, writeBack } from './credential-file.js';
import type { SharedToken, SharedTokens } from './shared-tokens.js';

/** Asks the auth plugin of the credential's type for fresh material. */
export type RefreshFn = (credential: AuthCredential, signal: AbortSignal) => Promise<AuthRefreshResult>;

/** Runs at most N refreshes at once over every credential. */
export class Limiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

/** Refresh this long before expiry at most; never earlier than a third of the token's life before. */
const MAX_LEAD_MS = 5 * 60_000;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;
/** A refresh that takes longer than this has failed. */
const REFRESH_TIMEOUT_MS = 30_000;
/** How long a host holds a credential's refresh for the others; they wait this long for its token. */
const LEASE_MS = 15_000;
const LEASE_POLL_MS = 100;
/** Secrets shorter than this are not scrubbed from text (they would scrub ordinary words). */
const MIN_SECRET = 8;

/** What management shows of a refreshing credential (never a secret). */
export interface RefreshView {
  type: string;
  /** When the token in hand expires. */
  expiresAt?: number;
  refreshing: boolean;
  lastError?: string;
  /** When the next refresh is allowed after a failure. */
  retryAt?: number;
}

export class RefreshingCredential implements TokenSource {
  #file: CredentialFile;
  /** Hosts sharing a state store refresh once between them (see {@link SharedTokens}). */
  readonly #shared: { tokens: SharedTokens; key: string } | undefined;
  readonly #refresh: RefreshFn;
  readonly #limiter: Limiter;
  readonly #now: () => number;
  #headers: Record<string, string> | undefined;
  #expiresAt: number | undefined;
  #obtainedAt = 0;
  #metadata: Record<string, unknown> = {};
  #pending: Promise<void> | undefined;
  #failures = 0;
  #retryAt = 0;
  #lastError: string | undefined;
  /** Every token and secret string this credential has held, longest first, for scrubbing. */
  #secrets: string[] = [];

  constructor(
    file: CredentialFile,
    /** `provider#n`, as the auth plugin is told. */
    public id: string,
    options: { refresh: RefreshFn; limiter: Limiter; now?: () => number; shared?: { tokens: SharedTokens; key: string } },
  ) {
    this.#file = file;
    this.#shared = options.shared;
    this.#refresh = options.refresh;
    this.#limiter = options.limiter;
    this.#now = options.now ?? Date.now;
    this.#adoptFile(file);
  }

  get path(): string {
    return this.#file.path;
  }

  /** The file changed on disk (edited, or written back by another host): its material is taken up. */
  update(file: CredentialFile): void {
    if (JSON.stringify(file.material) === JSON.stringify(this.#file.material) && file.type === this.#file.type) return;
    this.#file = file;
    this.#adoptFile(file);
    // New material may fix what failed: let the next check try at once.
    this.#failures = 0;
    this.#retryAt = 0;
  }

  async headers(signal: AbortSignal): Promise<Record<string, string>> {
    if (this.#pending) await untilAborted(this.#pending, signal);
    if (this.#valid(this.#now())) return this.#headers!;
    const reason = this.unavailable(this.#now());
    if (reason) throw new UpstreamError('auth', reason);
    await untilAborted(this.refresh(), signal);
    if (this.#valid(this.#now())) return this.#headers!;
    throw new UpstreamError('auth', this.unavailable(this.#now()) ?? 'credential has no valid token');
  }

  async refused(used: Record<string, string>, signal: AbortSignal): Promise<void> {
    // Another call already replaced the refused token.
    if (used !== this.#headers) return;
    this.#expiresAt = this.#now();
    await untilAborted(this.refresh(), signal);
  }

  unavailable(now: number): string | undefined {
    if (this.#valid(now) || this.#pending) return undefined;
    if (this.#failures > 0 && now < this.#retryAt) return `token expired and its refresh failed: ${this.#lastError}`;
    return undefined;
  }

  /**
   * Whether the background check should refresh now: no valid token, within the lead time of
   * expiry, or a preferred interval since the last refresh has passed. The plugin (its
   * `metadata`) or the file may set `refresh_lead_seconds` (at most a third of the token's life
   * still applies) and `refresh_interval_seconds`.
   */
  due(now: number): boolean {
    if (this.#pending || now < this.#retryAt) return false;
    if (this.#headers === undefined) return true;
    const interval = this.#seconds('refresh_interval_seconds');
    if (interval !== undefined && now - this.#obtainedAt >= interval) return true;
    if (this.#expiresAt === undefined) return false;
    const third = (this.#expiresAt - this.#obtainedAt) / 3;
    const lead = Math.min(third, this.#seconds('refresh_lead_seconds') ?? MAX_LEAD_MS);
    return now >= this.#expiresAt - lead;
  }

  /** A duration setting in seconds, as ms: the plugin's metadata first, then the file. */
  #seconds(name: string): number | undefined {
    const value = this.#metadata[name] ?? this.#file.material[name];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }

  /** Refreshes now, or joins the refresh in flight. Never rejects: a failure is kept and backed off. */
  refresh(): Promise<void> {
    this.#pending ??= this.#limiter.run(() => this.#run()).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  view(): RefreshView {
    const view: RefreshView = { type: this.#file.type, refreshing: this.#pending !== undefined };
    if (this.#expiresAt !== undefined) view.expiresAt = this.#expiresAt;
    if (this.#lastError !== undefined) view.lastError = this.#lastError;
    if (this.#failures > 0) view.retryAt = this.#retryAt;
    return view;
  }

  redact(text: string): string {
    for (const secret of this.#secrets) if (text.includes(secret)) text = text.split(secret).join('[redacted]');
    return text;
  }

  async #run(): Promise<void> {
    const shared = this.#shared;
    let leased = false;
    if (shared) {
      try {
        // Another host may have refreshed it already, or be refreshing it now: take its token.
        let token = await shared.tokens.get(shared.key);
        if (!this.#isNewer(token)) {
          leased = await shared.tokens.lease(shared.key, LEASE_MS);
          if (!leased) token = await this.#awaitPublished(shared);
        }
        if (this.#isNewer(token)) return await this.#take(token!);
      } catch {
        // The store is out of reach: this host refreshes on its own.
      }
    }
    const file = this.#file;
    const credential: AuthCredential = { id: this.id, provider: file.provider, type: file.type, material: file.material, metadata: this.#metadata };
    if (this.#expiresAt !== undefined) credential.expiresAt = this.#expiresAt;
    try {
      const result = await this.#refresh(credential, AbortSignal.timeout(REFRESH_TIMEOUT_MS));
      const headers = result.token !== undefined ? { ...result.headers, authorization: `Bearer ${result.token}` } : result.headers;
      if (!headers || Object.keys(headers).length === 0) throw new Error('the auth plugin answered neither a token nor headers');
      // The plugin's expiry is epoch ms (or RFC 3339); only files may say epoch seconds.
      const expiresAt = typeof result.expiresAt === 'number' ? result.expiresAt : parseExpiry(result.expiresAt);
      const token: SharedToken = { headers, obtainedAt: this.#now(), ...(expiresAt === undefined ? {} : { expiresAt }) };
      if (result.material) token.material = result.material;
      if (result.metadata) token.metadata = result.metadata;
      await this.#take(token);
      if (shared) await shared.tokens.publish(shared.key, token).catch(() => {});
    } catch (err) {
      this.#failures++;
      this.#retryAt = this.#now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.#failures - 1));
      this.#lastError = this.redact((err as Error)?.message ?? String(err));
      if (leased) await shared!.tokens.release(shared!.key).catch(() => {});
    }
  }

  /** Uses `token` from now on; what it brings to keep (a rotated refresh token) is written to the file first. */
  async #take(token: SharedToken): Promise<void> {
    this.#remember([...Object.values(token.headers), ...secretsOf(token.material ?? {})]);
    if (token.material && Object.entries(token.material).some(([k, v]) => this.#file.material[k] !== v)) {
      // Written before it is used: a rotated refresh token must never live only in memory.
      await writeBack(this.#file.path, token.material);
      this.#file = { ...this.#file, material: { ...this.#file.material, ...token.material } };
    }
    this.#headers = token.headers;
    this.#obtainedAt = token.obtainedAt;
    this.#expiresAt = token.expiresAt;
    if (token.metadata) this.#metadata = token.metadata;
    this.#failures = 0;
    this.#retryAt = 0;
    this.#lastError = undefined;
  }

  /** Whether a shared token is worth taking: obtained after the one in hand, and still valid. */
  #isNewer(token: SharedToken | undefined): boolean {
    return token !== undefined && token.obtainedAt > this.#obtainedAt && (token.expiresAt === undefined || token.expiresAt > this.#now());
  }

  /** Waits for the host holding the lease to publish its token (undefined: it never did). */
  async #awaitPublished(shared: { tokens: SharedTokens; key: string }): Promise<SharedToken | undefined> {
    const deadline = Date.now() + LEASE_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      const token = await shared.tokens.get(shared.key);
      if (this.#isNewer(token)) return token;
    }
    return undefined;
  }

  /** A token in the file (an OAuth `access_token` with its `expires_at`) is used until it expires. */
  #adoptFile(file: CredentialFile): void {
    this.#remember(secretsOf(file.material));
    const token = file.material.access_token;
    const expiresAt = parseExpiry(file.material.expires_at);
    if (typeof token === 'string' && token !== '' && expiresAt !== undefined && expiresAt > this.#now()) {
      this.#headers = { authorization: `Bearer ${token}` };
      this.#expiresAt = expiresAt;
      this.#obtainedAt = this.#now();
    }
  }

  /** Valid with a margin: a token that expires in flight must not be sent. */
  #valid(now: number): boolean {
    if (this.#headers === undefined) return false;
    if (this.#expiresAt === undefined) return true;
    const margin = Math.min(30_000, (this.#expiresAt - this.#obtainedAt) / 10);
    return now < this.#expiresAt - margin;
  }

  #remember(values: readonly unknown[]): void {
    const known = new Set(this.#secrets);
    for (const v of values) if (typeof v === 'string' && v.length >= MIN_SECRET) known.add(v.startsWith('Bearer ') ? v.slice(7) : v);
    this.#secrets = [...known].sort((a, b) => b.length - a.length);
  }
}

/** Material fields that hold secrets (tokens, keys, client secrets), not the URLs that name token endpoints. */
const SECRET_FIELD = /token|secret|password|private_key|api_?key|assertion/i;
const NOT_SECRET = /_(url|uri|type)$/i;

/** The secret strings of a material object. */
function secretsOf(material: Record<string, unknown>): string[] {
  return Object.entries(material).flatMap(([name, value]) => (typeof value === 'string' && SECRET_FIELD.test(name) && !NOT_SECRET.test(name) ? [value] : []));
}

/** `promise`, or the signal's reason as soon as it aborts (the call gives up; the refresh goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
