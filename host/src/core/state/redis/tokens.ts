/**
 * {@link SharedTokens} on Redis: `P{auth:<credential>}:token` holds the last refreshed token as
 * JSON until it expires, `P{auth:<credential>}:lease` the id of the host refreshing it (`SET NX
 * PX`, released only by its holder). The token is secret: it lives where the shared state lives,
 * like the credential files themselves.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { SharedToken, SharedTokens } from '../../auth/shared-tokens.js';
import type { RedisConnection } from './connection.js';
import { RELEASE_IF } from './scripts.js';

/** A token without an expiry is kept this long. */
const DEFAULT_TTL_MS = 3_600_000;

export class RedisSharedTokens implements SharedTokens {
  readonly #redis: RedisConnection;
  readonly #p: string;
  readonly #host = randomUUID();

  constructor(redis: RedisConnection, keyPrefix: string) {
    this.#redis = redis;
    this.#p = keyPrefix;
  }

  async get(key: string): Promise<SharedToken | undefined> {
    const text = (await this.#redis.send(this.#token(key), ['GET', this.#token(key)])) as string | null;
    if (!text) return undefined;
    try {
      const token = JSON.parse(text) as SharedToken;
      return token.expiresAt === undefined || token.expiresAt > Date.now() ? token : undefined;
    } catch {
      return undefined;
    }
  }

  async lease(key: string, ms: number): Promise<boolean> {
    return (await this.#redis.send(this.#lease(key), ['SET', this.#lease(key), this.#host, 'NX', 'PX', String(ms)])) === 'OK';
  }

  async publish(key: string, token: SharedToken): Promise<void> {
    const ttl = token.expiresAt === undefined ? DEFAULT_TTL_MS : Math.max(1, Math.round(token.expiresAt - Date.now()));
    await this.#redis.send(this.#token(key), ['SET', this.#token(key), JSON.stringify(token), 'PX', String(ttl)]);
    await this.release(key);
  }

  async release(key: string): Promise<void> {
    await this.#redis.eval(RELEASE_IF, [this.#lease(key)], [this.#host]);
  }

  #token(key: string) {
    return `${this.#p}{auth:${key}}:token`;
  }
  #lease(key: string) {
    return `${this.#p}{auth:${key}}:lease`;
  }
}
