/**
 * Model listing for credentials whose models are not configured: each one lists its own models
 * from its upstream (a free-tier key may serve fewer than the others), a few at a time, at
 * start, on reload and every `discoveryInterval`, and registers what it listed. A listing that
 * fails keeps that credential's last good list, across reloads too (lists are kept by key
 * fingerprint, outside any one config's catalog).
 *
 * @module
 */
import type { Catalog } from './catalog.js';
import type { Credential } from './provider.js';

/** Where discovery reports what it found and what failed. */
export interface DiscoveryLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface DiscoveryOptions {
  /** Listings under way at once (default 4). */
  concurrency?: number;
  /** Longest a listing may take (default 5 s). */
  timeoutMs?: number;
}

export class ModelDiscovery {
  /** Credential key -> its last good listing. */
  readonly #lastGood = new Map<string, readonly string[]>();
  /** Credential key -> when it was last listed (ms). */
  readonly #listedAt = new Map<string, number>();
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly log: DiscoveryLog,
    options: DiscoveryOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? 4;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Gives every listed credential of `catalog` its last good list, then lists those due (all
   * when `force`) and registers each answer. Resolves once every listing ended or timed out.
   */
  async refresh(catalog: Catalog, force = true): Promise<void> {
    const listed = [...catalog.providers.values()].flatMap((p) => p.credentials.filter((c) => c.models === undefined).map((c) => ({ c, interval: p.discoveryInterval })));
    const now = Date.now();
    for (const { c } of listed) {
      const last = this.#lastGood.get(c.key);
      if (last) catalog.setListedModels(c.id, last);
    }
    const due = listed.filter(({ c, interval }) => force || now - (this.#listedAt.get(c.key) ?? 0) >= interval).map(({ c }) => c);
    let next = 0;
    const worker = async () => {
      while (next < due.length) await this.#list(catalog, due[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, due.length) }, worker));
  }

  /**
   * Lists again every `discoveryInterval` (the shortest of the providers'), always for the
   * catalog in force at that time.
   */
  schedule(current: () => Catalog | undefined): void {
    clearTimeout(this.#timer);
    const catalog = current();
    if (this.#closed || !catalog) return;
    const intervals = [...catalog.providers.values()].filter((p) => p.credentials.some((c) => c.models === undefined)).map((p) => p.discoveryInterval);
    if (intervals.length === 0) return;
    this.#timer = setTimeout(() => {
      const now = current();
      if (!now) return;
      void this.refresh(now, false).finally(() => this.schedule(current));
    }, Math.max(1000, Math.min(...intervals)));
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #list(catalog: Catalog, credential: Credential): Promise<void> {
    this.#listedAt.set(credential.key, Date.now());
    try {
      const models = await credential.upstream.listModels(AbortSignal.timeout(this.#timeoutMs));
      if (models === undefined) return;
      this.#lastGood.set(credential.key, models);
      catalog.setListedModels(credential.id, models);
      this.log.info({ credential: credential.id, models: models.length }, 'listed upstream models');
    } catch (err) {
      const kept = this.#lastGood.has(credential.key);
      this.log.warn(
        { credential: credential.id, reason: credential.upstream.redact((err as Error).message) },
        kept ? 'could not list upstream models; keeping the last good list' : 'could not list upstream models; provider-qualified names still work',
      );
    }
  }
}
