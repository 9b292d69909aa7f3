/**
 * Self-tests of the mock token endpoint over plain `fetch`: refresh-token rotation, access-token
 * expiry, the jwt-bearer grant's RS256 verification and claim checks, failures and delays on
 * demand, and what it records.
 */

import { createPrivateKey, sign } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JWT_BEARER, makeServiceAccount, startMockTokenServer, type MockTokenServer } from './index.js';

let mock: MockTokenServer;
beforeAll(async () => {
  mock = await startMockTokenServer();
});
afterAll(() => mock?.close());
beforeEach(() => {
  mock.reset();
  mock.setExpiresIn(3600);
});

async function post(form: Record<string, string>, headers: Record<string, string> = {}, signal?: AbortSignal) {
  const res = await fetch(mock.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    signal,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const refresh = (clientId: string, refreshToken: string, extra: Record<string, string> = {}) =>
  post({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, ...extra });

/** A signed JWT over `claims` with `privateKeyPem`. */
function jwt(privateKeyPem: string, claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc(header)}.${enc(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh-token grant', () => {
  it('rotates: each refresh issues a new refresh token and the old one is refused after use', async () => {
    const first = mock.registerClient({ clientId: 'rot', clientSecret: 'rot-secret' });
    expect(mock.currentRefreshToken('rot')).toBe(first);

    const a = await refresh('rot', first, { client_secret: 'rot-secret' });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(a.body.refresh_token).toEqual(expect.any(String));
    expect(a.body.refresh_token).not.toBe(first);
    expect(mock.currentRefreshToken('rot')).toBe(a.body.refresh_token);
    expect(mock.isValid(a.body.access_token)).toBe(true);
    expect(mock.tokenOwner(a.body.access_token)).toBe('rot');

    const reused = await refresh('rot', first, { client_secret: 'rot-secret' });
    expect(reused).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('already used') } });

    const b = await refresh('rot', a.body.refresh_token, { client_secret: 'rot-secret' });
    expect(b.status).toBe(200);
    expect(mock.currentRefreshToken('rot')).toBe(b.body.refresh_token);
    expect(mock.refreshCount).toBe(2);
    expect(mock.grants.map((g) => [g.grantType, g.status, g.ok])).toEqual([
      ['refresh_token', 200, true],
      ['refresh_token', 400, false],
      ['refresh_token', 200, true],
    ]);
    // Nothing secret is recorded.
    const recorded = JSON.stringify(mock.grants);
    for (const secret of [first, a.body.refresh_token, a.body.access_token, 'rot-secret']) expect(recorded).not.toContain(secret);
  });

  it('keeps independent lineages per credential, and accepts an old token within a reuse interval', async () => {
    mock.registerClient({ clientId: 'two' });
    const one = mock.currentRefreshToken('two')!;
    const other = mock.issueRefreshToken('two');
    expect((await refresh('two', one)).status).toBe(200);
    expect((await refresh('two', other)).status).toBe(200);

    const lenient = await startMockTokenServer({ reuseIntervalMs: 5_000 });
    try {
      const rt = lenient.registerClient({ clientId: 'l' });
      const send = (t: string) =>
        fetch(lenient.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'l', refresh_token: t }).toString(),
        });
      expect((await send(rt)).status).toBe(200);
      expect((await send(rt)).status).toBe(200);
    } finally {
      await lenient.close();
    }
  });

  it('does not rotate when told not to', async () => {
    const fixed = await startMockTokenServer({ rotate: false });
    try {
      const rt = fixed.registerClient({ clientId: 'f' });
      for (let i = 0; i < 2; i += 1) {
        const res = await fetch(fixed.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'f', refresh_token: rt }).toString(),
        });
        const body = (await res.json()) as Record<string, unknown>;
        expect(res.status).toBe(200);
        expect(body.refresh_token).toBeUndefined();
      }
      expect(fixed.currentRefreshToken('f')).toBe(rt);
    } finally {
      await fixed.close();
    }
  });

  it('expires access tokens after expires_in, and revokes them on demand', async () => {
    mock.setExpiresIn(1);
    const rt = mock.registerClient({ clientId: 'exp' });
    const { body } = await refresh('exp', rt);
    expect(body.expires_in).toBe(1);
    expect(mock.isValid(body.access_token)).toBe(true);
    await sleep(1_100);
    expect(mock.isValid(body.access_token)).toBe(false);
    expect(mock.isValid('never-issued')).toBe(false);

    mock.setExpiresIn(3600);
    const next = await refresh('exp', body.refresh_token);
    const introspect = async (t: string) =>
      (await (await fetch(mock.introspectUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${t}` })).json()) as Record<string, unknown>;
    expect(await introspect(next.body.access_token)).toMatchObject({ active: true, client_id: 'exp' });
    mock.revoke(next.body.access_token);
    expect(mock.isValid(next.body.access_token)).toBe(false);
    expect(await introspect(next.body.access_token)).toEqual({ active: false });
  });

  it('authenticates clients in the body or with HTTP Basic, and refuses a wrong secret', async () => {
    const rt = mock.registerClient({ clientId: 'app id', clientSecret: 's3cr:t' });
    expect(await refresh('app id', rt, { client_secret: 'wrong' })).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    expect((await refresh('app id', rt)).status).toBe(401);
    expect((await refresh('nobody', rt)).status).toBe(401);
    const basic = Buffer.from(`${encodeURIComponent('app id').replace(/%20/g, '+')}:${encodeURIComponent('s3cr:t')}`).toString('base64');
    const ok = await post({ grant_type: 'refresh_token', refresh_token: rt }, { authorization: `Basic ${basic}` });
    expect(ok.status).toBe(200);
    expect(mock.grants.at(-1)).toMatchObject({ clientId: 'app id', clientAuth: 'basic', ok: true });
  });

  it('refuses a body that is not form-encoded, and unknown grant types', async () => {
    const res = await fetch(mock.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"refresh_token"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    expect(await post({ grant_type: 'password' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });
});

describe('jwt-bearer grant', () => {
  const sa = makeServiceAccount({ tokenUri: 'https://oauth2.googleapis.com/token', projectId: 'mock-proj', location: 'europe-west4', provider: 'vertex' });
  const claims = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: sa.file.client_email, scope: 'https://www.googleapis.com/auth/cloud-platform', aud: mock.tokenUrl, iat: now, exp: now + 3600 };
  };
  beforeAll(() => {
    mock.registerServiceAccount({ clientEmail: sa.file.client_email, publicKeyPem: sa.publicKeyPem, keyId: sa.file.private_key_id });
  });
  const kid = () => ({ alg: 'RS256', typ: 'JWT', kid: sa.file.private_key_id });

  it('makes a Google-style key file', () => {
    expect(sa.file).toMatchObject({ type: 'service_account', project_id: 'mock-proj', location: 'europe-west4', provider: 'vertex', client_email: 'switchyard-test@mock-proj.iam.gserviceaccount.com' });
    expect(sa.file.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(sa.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('issues a token for a JWT signed with the registered key', async () => {
    const res = await post({ grant_type: JWT_BEARER, assertion: jwt(sa.privateKeyPem, claims(), kid()) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, access_token: expect.stringMatching(/^ya29\./) });
    expect(res.body.refresh_token).toBeUndefined();
    expect(mock.isValid(res.body.access_token)).toBe(true);
    expect(mock.tokenOwner(res.body.access_token)).toBe(sa.file.client_email);
    expect(mock.grants).toEqual([expect.objectContaining({ grantType: JWT_BEARER, clientId: sa.file.client_email, ok: true, scope: claims().scope })]);
  });

  it('refuses a JWT signed with another key: invalid_grant', async () => {
    const other = makeServiceAccount({ tokenUri: mock.tokenUrl, projectId: 'x' });
    const res = await post({ grant_type: JWT_BEARER, assertion: jwt(other.privateKeyPem, claims(), kid()) });
    expect(res).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    // A tampered payload under a valid signature fails too.
    const [h, , s] = jwt(sa.privateKeyPem, claims(), kid()).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims(), scope: 'other' })).toString('base64url');
    expect((await post({ grant_type: JWT_BEARER, assertion: `${h}.${forged}.${s}` })).body.error_description).toBe('Invalid JWT Signature.');
  });

  it('checks iss, kid, alg, aud, iat and exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
      [{ ...claims(), iss: 'stranger@x.iam.gserviceaccount.com' }, kid(), /account not found/],
      [claims(), { ...kid(), kid: 'other' }, /kid/],
      [claims(), { ...kid(), alg: 'RS512' }, /alg/],
      [{ ...claims(), aud: 'https://oauth2.googleapis.com/token' }, kid(), /aud/],
      [{ ...claims(), iat: now - 7200, exp: now - 3600 }, kid(), /iat and exp/],
      [{ ...claims(), iat: now + 600, exp: now + 900 }, kid(), /iat and exp/],
      [{ ...claims(), exp: now + 7200 }, kid(), /iat and exp/],
    ];
    for (const [c, h, why] of cases) {
      const res = await post({ grant_type: JWT_BEARER, assertion: jwt(sa.privateKeyPem, c, h) });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toMatch(why);
    }
    expect((await post({ grant_type: JWT_BEARER, assertion: 'not.a.jwt' })).body.error).toBe('invalid_grant');
    expect(mock.refreshCount).toBe(0);
  });
});

describe('failures and delays on demand', () => {
  it('fails the next requests with the status and OAuth error asked for, then recovers', async () => {
    const rt = mock.registerClient({ clientId: 'f1' });
    mock.fail({ status: 503, times: 2 });
    mock.fail({ status: 400, times: 1, error: 'invalid_grant', errorDescription: 'revoked' });
    expect(await refresh('f1', rt)).toEqual({ status: 503, body: { error: 'server_error', error_description: 'mock failure 503' } });
    expect((await refresh('f1', rt)).status).toBe(503);
    expect(await refresh('f1', rt)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'revoked' } });
    // A failed request does not consume the refresh token.
    expect((await refresh('f1', rt)).status).toBe(200);
    expect(mock.grants.map((g) => g.status)).toEqual([503, 503, 400, 200]);
    expect(mock.refreshCount).toBe(1);
  });

  it('fails until cleared when no count is given, filtered by grant type', async () => {
    const rt = mock.registerClient({ clientId: 'f2' });
    mock.fail({ status: 500, grantType: JWT_BEARER });
    mock.fail({ status: 429 });
    expect((await refresh('f2', rt)).status).toBe(429);
    expect((await refresh('f2', rt)).status).toBe(429);
    mock.clearFailures();
    expect((await refresh('f2', rt)).status).toBe(200);
  });

  it('delays answers, and drops a request whose client gave up without rotating its token', async () => {
    const rt = mock.registerClient({ clientId: 'slow' });
    mock.delay(300);
    const began = Date.now();
    const first = await refresh('slow', rt);
    expect(first.status).toBe(200);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);

    const next = first.body.refresh_token as string;
    await expect(
      post({ grant_type: 'refresh_token', client_id: 'slow', refresh_token: next }, {}, AbortSignal.timeout(50)),
    ).rejects.toThrow();
    await mock.waitFor(() => mock.grants.length === 2);
    await sleep(350);
    expect(mock.grants[1]).toMatchObject({ status: 0, ok: false });
    expect(mock.currentRefreshToken('slow')).toBe(next);
    mock.delay(0);
    expect((await refresh('slow', next)).status).toBe(200);
  });
});
