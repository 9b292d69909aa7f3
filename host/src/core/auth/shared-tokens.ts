/**
 * Refreshes shared by every host on one state store: one host refreshes a credential (it holds
 * the credential's lease), the others take the token it publishes instead of refreshing too, so
 * a rotating refresh token is spent once, and every host sends the token the upstream knows.
 * Implemented over Redis (`../state/redis/tokens.ts`); a single process needs none.
 *
 * @module
 */

/** A refreshed token as hosts share it; `material` is what the refresh wrote back to the file. */
export interface SharedToken {
  headers: Record<string, string>;
  /** Epoch ms. */
  expiresAt?: number;
  obtainedAt: number;
  material?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface SharedTokens {
  /** The token last published for credential `key`, if it has not expired. */
  get(key: string): Promise<SharedToken | undefined>;
  /** Takes the refresh of `key` for `ms`; false when another host holds it. */
  lease(key: string, ms: number): Promise<boolean>;
  /** Publishes the token just refreshed and gives the lease back. */
  publish(key: string, token: SharedToken): Promise<void>;
  /** Gives the lease back without a token (the refresh failed). */
  release(key: string): Promise<void>;
}
