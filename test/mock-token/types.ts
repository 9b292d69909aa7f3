/**
 * The public types of the mock token endpoint: what a test configures, asks and asserts on.
 *
 * @module
 */

/** The grant types the mock serves. */
export type MockGrantType = 'refresh_token' | 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** How the mock token server starts. */
export interface MockTokenOptions {
  /** `expires_in` (seconds) of the access tokens it issues; default 3600. May be small (2). */
  expiresIn?: number;
  /** Issue a new refresh token with every refresh and invalidate the old one; default true. */
  rotate?: boolean;
  /**
   * How long a rotated-out refresh token is still accepted (ms), like the "reuse interval" some
   * providers have; default 0: the old token is refused as soon as the new one is issued.
   */
  reuseIntervalMs?: number;
  /** Clock skew allowed on a JWT's `iat` (seconds); default 60. */
  clockSkewSeconds?: number;
}

/**
 * One token request the mock answered (or dropped), in arrival order. Holds no secret: no
 * refresh token, client secret, assertion or access token.
 */
export interface GrantRecord {
  /** The `grant_type` asked for (whatever the client sent; `''` when it sent none). */
  grantType: string;
  /** When the request arrived (epoch ms). */
  at: number;
  /** The client id (refresh-token grant) or the JWT's `iss` (jwt-bearer), when known. */
  clientId?: string;
  /** The HTTP status answered; 0 when the client went away before the answer (see `delay`). */
  status: number;
  /** Whether a token was issued. */
  ok: boolean;
  /** The OAuth `error` code of a refusal. */
  error?: string;
  /** The `error_description` of a refusal (never a secret). */
  errorDescription?: string;
  /** The refresh-token grant's `scope` parameter, if sent; the JWT's `scope` claim for jwt-bearer. */
  scope?: string;
  /** `expires_in` of the issued token (seconds). */
  expiresIn?: number;
  /** The request's `content-type`. */
  contentType: string;
  /** jwt-bearer: the assertion's decoded header and claims (the signature, which makes it usable, is not kept). */
  jwt?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  /** How the client authenticated (refresh-token grant): in the body, with HTTP Basic, or not at all. */
  clientAuth?: 'body' | 'basic' | 'none';
}

/** A failure on demand: the next `times` token requests (default: until `clearFailures`) answer `status`. */
export interface MockTokenFailure {
  status: number;
  /** How many requests it applies to; absent means until cleared. */
  times?: number;
  /** The OAuth `error` code; default `server_error` for 5xx, else `invalid_request`. */
  error?: string;
  /** The `error_description`; default `mock failure <status>`. */
  errorDescription?: string;
  /** Only requests of this grant type; absent matches any. */
  grantType?: MockGrantType;
  /** The raw body to answer instead of the OAuth error JSON (e.g. an HTML error page). */
  body?: string;
}

/** An OAuth client the refresh-token grant knows. */
export interface MockClient {
  clientId: string;
  /** When set, the client must authenticate with it (in the body or with HTTP Basic). */
  clientSecret?: string;
}

/** A running mock token endpoint, as `startMockTokenServer` returns it. */
export interface MockTokenServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** The token endpoint: `${url}/token` (also the `aud` a service account's JWT must name). */
  readonly tokenUrl: string;
  /** `POST ${url}/introspect` with `token=...` answers `{active, exp?, client_id?}` (RFC 7662 style). */
  readonly introspectUrl: string;

  /** Registers an OAuth client and issues its first refresh token (returned). */
  registerClient(client: MockClient): string;
  /** Issues another independent refresh token for a registered client (a second credential). */
  issueRefreshToken(clientId: string): string;
  /** The refresh token now valid for `clientId` (the newest lineage's), or undefined. */
  currentRefreshToken(clientId: string): string | undefined;
  /** Registers a service account whose JWTs are verified against `publicKeyPem` (RS256). */
  registerServiceAccount(account: { clientEmail: string; publicKeyPem: string; keyId?: string }): void;

  /** `expires_in` of tokens issued from now on (seconds). */
  setExpiresIn(seconds: number): void;
  /** The next requests fail (see {@link MockTokenFailure}); failures queue in order. */
  fail(failure: MockTokenFailure): void;
  clearFailures(): void;
  /**
   * Waits `ms` before handling each token request (0 turns it off). A request whose client goes
   * away during the wait is dropped unprocessed, as if it never arrived (recorded with status 0):
   * a refresh token is never rotated for a client that cannot learn the new one.
   */
  delay(ms: number): void;

  /** Every token request, oldest first. */
  readonly grants: readonly GrantRecord[];
  /** Tokens issued (successful grants of either type) among `grants`; `reset` sets it back to 0. */
  readonly refreshCount: number;
  /** Whether `accessToken` was issued by this mock, is not revoked and has not expired. */
  isValid(accessToken: string): boolean;
  /** Who an access token was issued to (client id or service-account email), if it was. */
  tokenOwner(accessToken: string): string | undefined;
  /** Revokes one access token, or every one issued so far (an upstream would now answer 401). */
  revoke(accessToken?: string): void;
  /** Resolves once `pred(grants)` holds; rejects after `timeoutMs` (default 2000). */
  waitFor(pred: (grants: readonly GrantRecord[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets grants, failures and the delay (clients, service accounts and tokens stay). */
  reset(): void;
  /** Drops every open connection and stops listening. */
  close(): Promise<void>;
}
