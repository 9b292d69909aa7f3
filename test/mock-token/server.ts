/**
 * The mock token endpoint's HTTP server: an OAuth 2.0 token endpoint on 127.0.0.1 that serves
 * the refresh-token grant (RFC 6749 section 6) with rotating refresh tokens and the jwt-bearer
 * grant (RFC 7523, as Google's `oauth2.googleapis.com/token` does it) with real RS256 signature
 * verification, issues access tokens it remembers with their expiry, and fails or stalls on
 * demand. Tests read back what it served ({@link MockTokenServer.grants}) and whether a token
 * is usable ({@link MockTokenServer.isValid}).
 *
 * @module
 */

import { createPublicKey, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { GrantRecord, MockClient, MockTokenFailure, MockTokenOptions, MockTokenServer } from './types.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MAX_BODY = 64 * 1024;
/** Google refuses a JWT asserting more than an hour. */
const MAX_JWT_LIFETIME = 3600;

/** A refusal: the HTTP status and the OAuth error body. */
class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

interface RefreshTokenState {
  clientId: string;
  /** The credential lineage it belongs to (each `registerClient`/`issueRefreshToken` starts one). */
  lineage: number;
  /** When a newer token replaced it (epoch ms); undefined while it is the current one. */
  retiredAt?: number;
}

interface AccessTokenState {
  owner: string;
  expiresAt: number;
  revoked: boolean;
}

interface ServiceAccount {
  publicKey: KeyObject;
  keyId?: string;
}

const token = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new OAuthError(413, 'invalid_request', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes one base64url JWT segment as JSON; throws an `invalid_grant` when it is not. */
function segment(part: string | undefined, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new OAuthError(400, 'invalid_grant', `Invalid JWT: malformed ${what}`);
}

/** Starts the mock on a free port of 127.0.0.1. */
export async function startMockTokenServer(options: MockTokenOptions = {}): Promise<MockTokenServer> {
  let expiresIn = options.expiresIn ?? 3600;
  const rotate = options.rotate ?? true;
  const reuseIntervalMs = options.reuseIntervalMs ?? 0;
  const skew = options.clockSkewSeconds ?? 60;

  const clients = new Map<string, MockClient>();
  const refreshTokens = new Map<string, RefreshTokenState>();
  /** The current refresh token of each lineage, by lineage number. */
  const lineageHead = new Map<number, string>();
  /** The newest lineage of each client. */
  const newestLineage = new Map<string, number>();
  let lineages = 0;
  const accessTokens = new Map<string, AccessTokenState>();
  const accounts = new Map<string, ServiceAccount>();

  const grants: GrantRecord[] = [];
  let failures: (MockTokenFailure & { left: number })[] = [];
  let delayMs = 0;
  let tokenUrl = '';

  const startLineage = (clientId: string): string => {
    lineages += 1;
    const rt = token('rt-');
    refreshTokens.set(rt, { clientId, lineage: lineages });
    lineageHead.set(lineages, rt);
    newestLineage.set(clientId, lineages);
    return rt;
  };

  const issueAccessToken = (owner: string, prefix: string): { accessToken: string; expiresIn: number } => {
    const accessToken = token(prefix);
    accessTokens.set(accessToken, { owner, expiresAt: Date.now() + expiresIn * 1000, revoked: false });
    return { accessToken, expiresIn };
  };

  const takeFailure = (grantType: string): MockTokenFailure | undefined => {
    const failure = failures.find((f) => f.grantType === undefined || f.grantType === grantType);
    if (!failure) return undefined;
    failure.left -= 1;
    if (failure.left <= 0) failures = failures.filter((f) => f !== failure);
    return failure;
  };

  /** Who the client says it is: HTTP Basic (RFC 6749 2.3.1, form-urlencoded parts) or the body. */
  const clientCredentials = (req: IncomingMessage, form: URLSearchParams) => {
    const header = req.headers.authorization;
    if (header?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const part = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      return colon < 0
        ? { auth: 'basic' as const, clientId: part(decoded), clientSecret: undefined }
        : { auth: 'basic' as const, clientId: part(decoded.slice(0, colon)), clientSecret: part(decoded.slice(colon + 1)) };
    }
    const clientId = form.get('client_id') ?? undefined;
    const clientSecret = form.get('client_secret') ?? undefined;
    return { auth: clientSecret !== undefined ? ('body' as const) : ('none' as const), clientId, clientSecret };
  };

  const refreshGrant = (req: IncomingMessage, form: URLSearchParams, record: GrantRecord): Record<string, unknown> => {
    const { auth, clientId, clientSecret } = clientCredentials(req, form);
    record.clientAuth = auth;
    if (clientId) record.clientId = clientId;
    const scope = form.get('scope');
    if (scope !== null) record.scope = scope;
    const client = clientId === undefined ? undefined : clients.get(clientId);
    if (!client) throw new OAuthError(401, 'invalid_client', clientId === undefined ? 'client_id is missing' : 'unknown client');
    if (client.clientSecret !== undefined && (clientSecret === undefined || !sameSecret(clientSecret, client.clientSecret))) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed');
    }
    const presented = form.get('refresh_token');
    if (!presented) throw new OAuthError(400, 'invalid_request', 'refresh_token is missing');
    const state = refreshTokens.get(presented);
    if (!state || state.clientId !== client.clientId) throw new OAuthError(400, 'invalid_grant', 'unknown refresh token');
    if (state.retiredAt !== undefined && Date.now() - state.retiredAt >= reuseIntervalMs) {
      throw new OAuthError(400, 'invalid_grant', 'refresh token already used (it was rotated)');
    }
    const { accessToken, expiresIn: lifetime } = issueAccessToken(client.clientId, 'at-');
    const answer: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime };
    if (scope !== null) answer.scope = scope;
    if (rotate) {
      const current = lineageHead.get(state.lineage)!;
      refreshTokens.get(current)!.retiredAt = Date.now();
      const next = token('rt-');
      refreshTokens.set(next, { clientId: client.clientId, lineage: state.lineage });
      lineageHead.set(state.lineage, next);
      answer.refresh_token = next;
    }
    return answer;
  };

  const jwtBearerGrant = (form: URLSearchParams, record: GrantRecord): Record<string, unknown> => {
    const assertion = form.get('assertion');
    if (!assertion) throw new OAuthError(400, 'invalid_request', 'assertion is missing');
    const parts = assertion.split('.');
    if (parts.length !== 3) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: not three segments');
    const header = segment(parts[0], 'header');
    const claims = segment(parts[1], 'claims');
    record.jwt = { header, claims };
    if (typeof claims.iss === 'string') record.clientId = claims.iss;
    if (typeof claims.scope === 'string') record.scope = claims.scope;
    if (header.alg !== 'RS256') throw new OAuthError(400, 'invalid_grant', `Invalid JWT: alg must be RS256`);
    const account = typeof claims.iss === 'string' ? accounts.get(claims.iss) : undefined;
    if (!account) throw new OAuthError(400, 'invalid_grant', 'Invalid grant: account not found');
    if (account.keyId !== undefined && header.kid !== account.keyId) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: unknown kid');
    const signed = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), account.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== tokenUrl) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: aud is not this token endpoint');
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number' || iat > now + skew || exp <= now || exp - iat > MAX_JWT_LIFETIME) {
      throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values');
    }
    if (typeof claims.scope !== 'string' || claims.scope === '') throw new OAuthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const { accessToken, expiresIn: lifetime } = issueAccessToken(claims.iss as string, 'ya29.mock-');
    return { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime };
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', 'cache-control': 'no-store' });
    res.end(text);
  };

  /** Waits `ms`; resolves false when the client went away meanwhile. */
  const pause = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve(!res.destroyed);
      const timer = setTimeout(() => {
        res.off('close', gone);
        resolve(!res.destroyed);
      }, ms);
      const gone = () => {
        clearTimeout(timer);
        resolve(false);
      };
      res.once('close', gone);
    });

  const handleToken = async (req: IncomingMessage, res: ServerResponse) => {
    const contentType = req.headers['content-type'] ?? '';
    const record: GrantRecord = { grantType: '', at: Date.now(), status: 0, ok: false, contentType };
    grants.push(record);
    let form: URLSearchParams;
    try {
      const raw = await readBody(req);
      if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new OAuthError(400, 'invalid_request', 'content-type must be application/x-www-form-urlencoded');
      }
      form = new URLSearchParams(raw);
      record.grantType = form.get('grant_type') ?? '';
    } catch (err) {
      const e = err instanceof OAuthError ? err : new OAuthError(400, 'invalid_request', 'unreadable body');
      return refuse(res, record, e);
    }
    if (!(await pause(delayMs, res))) return; // dropped unprocessed: status stays 0
    const failure = takeFailure(record.grantType);
    if (failure) {
      record.status = failure.status;
      record.error = failure.error ?? (failure.status >= 500 ? 'server_error' : 'invalid_request');
      record.errorDescription = failure.errorDescription ?? `mock failure ${failure.status}`;
      return send(res, failure.status, failure.body ?? { error: record.error, error_description: record.errorDescription });
    }
    try {
      let answer: Record<string, unknown>;
      if (record.grantType === 'refresh_token') answer = refreshGrant(req, form, record);
      else if (record.grantType === JWT_BEARER) answer = jwtBearerGrant(form, record);
      else throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${JSON.stringify(record.grantType)} is not supported`);
      record.status = 200;
      record.ok = true;
      record.expiresIn = answer.expires_in as number;
      send(res, 200, answer);
    } catch (err) {
      refuse(res, record, err instanceof OAuthError ? err : new OAuthError(500, 'server_error', 'mock token server error'));
    }
  };

  const refuse = (res: ServerResponse, record: GrantRecord, err: OAuthError) => {
    record.status = err.status;
    record.error = err.error;
    record.errorDescription = err.description;
    const headers: Record<string, string> = {};
    if (err.status === 401) headers['www-authenticate'] = 'Basic realm="mock-token"';
    res.writeHead(err.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify({ error: err.error, error_description: err.description }));
  };

  const isValid = (accessToken: string): boolean => {
    const state = accessTokens.get(accessToken);
    return state !== undefined && !state.revoked && Date.now() < state.expiresAt;
  };

  const handleIntrospect = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readBody(req).catch(() => ''));
    const presented = form.get('token') ?? '';
    const state = accessTokens.get(presented);
    if (!state || !isValid(presented)) return send(res, 200, { active: false });
    send(res, 200, { active: true, exp: Math.floor(state.expiresAt / 1000), client_id: state.owner, token_type: 'Bearer' });
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://mock').pathname;
    if (req.method === 'POST' && path === '/token') return void handleToken(req, res);
    if (req.method === 'POST' && path === '/introspect') return void handleIntrospect(req, res);
    send(res, 404, { error: 'not_found', error_description: `${req.method} ${path} is not served` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  tokenUrl = `${url}/token`;

  return {
    url,
    tokenUrl,
    introspectUrl: `${url}/introspect`,
    registerClient(client) {
      clients.set(client.clientId, { ...client });
      return startLineage(client.clientId);
    },
    issueRefreshToken(clientId) {
      if (!clients.has(clientId)) throw new Error(`mock token: unknown client ${clientId}`);
      return startLineage(clientId);
    },
    currentRefreshToken(clientId) {
      const lineage = newestLineage.get(clientId);
      return lineage === undefined ? undefined : lineageHead.get(lineage);
    },
    registerServiceAccount({ clientEmail, publicKeyPem, keyId }) {
      accounts.set(clientEmail, { publicKey: createPublicKey(publicKeyPem), keyId });
    },
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
    fail(failure) {
      failures.push({ ...failure, left: failure.times ?? Infinity });
    },
    clearFailures() {
      failures = [];
    },
    delay(ms) {
      delayMs = ms;
    },
    get grants() {
      return grants;
    },
    get refreshCount() {
      return grants.filter((g) => g.ok).length;
    },
    isValid,
    tokenOwner: (accessToken) => accessTokens.get(accessToken)?.owner,
    revoke(accessToken) {
      if (accessToken !== undefined) {
        const state = accessTokens.get(accessToken);
        if (state) state.revoked = true;
      } else {
        for (const state of accessTokens.values()) state.revoked = true;
      }
    },
    async waitFor(pred, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(grants)) {
        if (Date.now() > deadline) throw new Error(`mock token: condition not met within ${timeoutMs}ms (${grants.length} grants)`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    reset() {
      grants.length = 0;
      failures = [];
      delayMs = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
