/**
 * Keeps every refreshing credential usable: one {@link RefreshingCredential} per credential file
 * for the host's life (config reloads and catalog rebuilds keep it, with its token and its
 * backoff), and a background check every second that refreshes those within their lead time of
 * expiry, at most `concurrency` at once.
 *
 * @module
 */
import type { CredentialFile } from './credential-file.js';
import { Limiter, type RefreshFn, RefreshingCredential, type RefreshView } from './refreshing.js';
import type { SharedTokens } from './shared-tokens.js';

export interface RefresherOptions {
  refresh: RefreshFn;
  /** How often the background check runs. */
  intervalMs?: number;
  /** Refreshes in flight at once over every credential. */
  concurrency?: number;
  now?: () => number;
  /** Shared with the other hosts on one state store: one refresh per credential between them. */
  shared?: SharedTokens;
}

export class Refresher {
  readonly #byPath = new Map<string, RefreshingCredential>();
  readonly #limiter: Limiter;
  readonly #options: RefresherOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RefresherOptions) {
    this.#options = options;
    this.#limiter = new Limiter(options.concurrency ?? 4);
  }

  /**
   * The refreshing credential of `file` (made on first sight, updated when the file changed);
   * `key` is its state key, which names it to the other hosts.
   */
  source(file: CredentialFile, id: string, key: string): RefreshingCredential {
    let credential = this.#byPath.get(file.path);
    if (!credential) {
      const { refresh, now, shared } = this.#options;
      credential = new RefreshingCredential(file, id, { refresh, limiter: this.#limiter, now, ...(shared && { shared: { tokens: shared, key } }) });
      this.#byPath.set(file.path, credential);
    } else {
      credential.update(file);
      // The provider's list changed around it: same file, same token, a new position.
      credential.id = id;
    }
    return credential;
  }

  /** Forgets credentials whose files are gone. */
  retain(paths: ReadonlySet<string>): void {
    for (const path of this.#byPath.keys()) if (!paths.has(path)) this.#byPath.delete(path);
  }

  /** What management shows of the credential of `path`. */
  view(path: string): RefreshView | undefined {
    return this.#byPath.get(path)?.view();
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.#options.intervalMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Starts the refresh of every credential that is due (they queue on the concurrency limit). */
  check(): void {
    const now = (this.#options.now ?? Date.now)();
    for (const credential of this.#byPath.values()) if (credential.due(now)) void credential.refresh();
  }
}
