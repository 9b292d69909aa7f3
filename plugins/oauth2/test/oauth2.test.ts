/**
 * The oauth2 plugin in a real worker (the SDK test harness) against the mock token endpoint:
 * the refresh-token grant with rotation, the answer and the material written back, config
 * fallback, client authentication, failures whose messages carry no secret, and a refresh the
 * host cancels.
 */
import { fileURLToPath } from 'node:url';
import { ErrorCodes, PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { createHarness, type PluginHarness } from '@switchyard/plugin-sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockTokenServer, startMockTokenServer } from '../../../test/mock-token/index.js';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CLIENT_ID = 'switchyard-app';
const CLIENT_SECRET = 'cs-9f8e7d6c5b4a-very-secret';

let mock: MockTokenServer;
const started: PluginHarness[] = [];
async function start(config?: unknown, callTimeoutMs?: number): Promise<PluginHarness> {
  const harness = await createHarness({ plugin: PLUGIN, config, callTimeoutMs });
  started.push(harness);
  return harness;
}

let plugin: PluginHarness;
beforeAll(async () => {
  mock = await startMockTokenServer({ expiresIn: 2 });
  mock.registerClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  plugin = await start();
});
afterAll(async () => {
  await Promise.all(started.map((h) => h.close()));
  await mock?.close();
});
beforeEach(() => {
  mock.reset();
  mock.setExpiresIn(2);
});

/** The material of a credential file for the mock's client, with a fresh refresh token. */
function fileMaterial(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { token_url: mock.tokenUrl, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: mock.issueRefreshToken(CLIENT_ID), ...extra };
}

/** The error a refresh rejects with (fails the test if it resolves). */
async function refreshError(harness: PluginHarness, material: Record<string, unknown>): Promise<Error> {
  const err = await harness.refresh({ id: 'acme#0', provider: 'acme', type: 'oauth2', material }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

function expectNoSecret(message: string, secrets: unknown[]): void {
  for (const secret of secrets) if (typeof secret === 'string' && secret !== '') expect(message).not.toContain(secret);
}

describe('oauth2', () => {
  it('registers the auth capability for oauth2 credentials', () => {
    expect(plugin.registration).toMatchObject({ id: 'oauth2', protocol: PROTOCOL_VERSION, capabilities: ['auth'], auth: { types: ['oauth2'] } });
  });

  it('refreshes: a token valid at the endpoint, its expiry, and the rotated refresh token as material', async () => {
    const material = fileMaterial({ scope: 'read write', access_token: 'at-old', expires_at: '2020-01-01T00:00:00Z' });
    const before = Date.now();
    const answer = await plugin.refresh({ id: 'acme#0', provider: 'acme', type: 'oauth2', material });
    const after = Date.now();

    expect(answer.token).toEqual(expect.stringMatching(/^at-/));
    expect(mock.isValid(answer.token!)).toBe(true);
    expect(mock.tokenOwner(answer.token!)).toBe(CLIENT_ID);
    expect(typeof answer.expiresAt).toBe('number');
    expect(answer.expiresAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(answer.expiresAt).toBeLessThanOrEqual(after + 2_000);

    const written = answer.material as Record<string, string>;
    expect(Object.keys(written).sort()).toEqual(['access_token', 'expires_at', 'refresh_token']);
    expect(written.access_token).toBe(answer.token);
    expect(written.expires_at).toMatch(RFC3339);
    expect(Date.parse(written.expires_at)).toBe(answer.expiresAt);
    expect(written.refresh_token).not.toBe(material.refresh_token);
    expect(written.refresh_token).toBe(mock.currentRefreshToken(CLIENT_ID));

    // One form-encoded refresh-token grant, the client authenticated in the body, the file's scope sent.
    expect(mock.grants).toEqual([
      expect.objectContaining({ grantType: 'refresh_token', ok: true, clientId: CLIENT_ID, clientAuth: 'body', scope: 'read write', contentType: 'application/x-www-form-urlencoded' }),
    ]);

    // The written-back refresh token is the one that works next time; the old one is spent.
    const next = await plugin.refresh({ id: 'acme#0', provider: 'acme', type: 'oauth2', material: { ...material, ...written } });
    expect(mock.isValid(next.token!)).toBe(true);
    expect((next.material as Record<string, string>).refresh_token).toBe(mock.currentRefreshToken(CLIENT_ID));
    expect(mock.refreshCount).toBe(2);

    // The access token works until expires_in has passed.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(mock.isValid(answer.token!)).toBe(false);
  });

  it('keeps the old refresh token when the endpoint does not rotate it', async () => {
    const fixed = await startMockTokenServer({ rotate: false });
    try {
      const rt = fixed.registerClient({ clientId: 'fixed' });
      const answer = await plugin.refresh({ type: 'oauth2', material: { token_url: fixed.tokenUrl, client_id: 'fixed', refresh_token: rt } });
      expect(fixed.isValid(answer.token!)).toBe(true);
      expect(answer.material).toMatchObject({ refresh_token: rt });
      expect(fixed.grants[0]).toMatchObject({ clientAuth: 'none', ok: true });
    } finally {
      await fixed.close();
    }
  });

  it('fails on a spent refresh token with the status and OAuth error, naming no secret', async () => {
    const material = fileMaterial({ access_token: 'at-previous-token-value' });
    const first = await plugin.refresh({ type: 'oauth2', material });
    const err = await refreshError(plugin, material);
    expect(err.message).toMatch(/HTTP 400/);
    expect(err.message).toMatch(/invalid_grant/);
    expect(err.message).toMatch(/already used/);
    expectNoSecret(err.message, [material.refresh_token, CLIENT_SECRET, material.access_token, first.token, (first.material as Record<string, string>).refresh_token]);
  });

  it('fails on a wrong client secret (401 invalid_client) and on a server error, naming no secret', async () => {
    const wrong = fileMaterial({ client_secret: 'wrong-secret-value' });
    const err = await refreshError(plugin, wrong);
    expect(err.message).toMatch(/HTTP 401: invalid_client: client authentication failed/);
    expectNoSecret(err.message, [wrong.refresh_token, 'wrong-secret-value', CLIENT_SECRET]);

    // An endpoint that echoes the secrets back in its error still gets them redacted.
    const material = fileMaterial();
    mock.fail({ status: 503, times: 1, error: 'temporarily_unavailable', errorDescription: `cannot refresh ${String(material.refresh_token)} for ${CLIENT_SECRET}` });
    const echoed = await refreshError(plugin, material);
    expect(echoed.message).toMatch(/HTTP 503: temporarily_unavailable: cannot refresh \[redacted\] for \[redacted\]/);
    expectNoSecret(echoed.message, [material.refresh_token, CLIENT_SECRET]);

    // A non-OAuth error page: the status alone.
    mock.fail({ status: 502, times: 1, body: '<html>bad gateway</html>' });
    expect((await refreshError(plugin, material)).message).toMatch(/HTTP 502: no OAuth error in the answer/);

    // The failures spent nothing: the refresh token still works.
    expect(mock.isValid((await plugin.refresh({ type: 'oauth2', material })).token!)).toBe(true);
  });

  it('fails when a 2xx answer has no access_token', async () => {
    mock.fail({ status: 200, times: 1, body: '{"token_type":"Bearer"}' });
    expect((await refreshError(plugin, fileMaterial())).message).toMatch(/HTTP 200: the answer has no access_token/);
  });

  it('names what is missing, and an unreachable endpoint, without secrets', async () => {
    const { refresh_token: _, ...noRefresh } = fileMaterial();
    expect((await refreshError(plugin, noRefresh)).message).toMatch(/no refresh_token/);
    const { token_url: __, ...noUrl } = fileMaterial();
    expect((await refreshError(plugin, noUrl)).message).toMatch(/no token_url in the credential file and no tokenUrl in the plugin config/);
    const { client_id: ___, ...noClient } = fileMaterial();
    expect((await refreshError(plugin, noClient)).message).toMatch(/no client_id/);

    const gone = await startMockTokenServer();
    const deadUrl = gone.tokenUrl;
    await gone.close();
    const material = fileMaterial({ token_url: `${deadUrl}?secret=query-secret` });
    const err = await refreshError(plugin, material);
    expect(err.message).toMatch(/unreachable \(ECONNREFUSED\)/);
    expectNoSecret(err.message, [material.refresh_token, CLIENT_SECRET, 'query-secret']);
  });

  it('gives up after its timeout when the endpoint stalls', async () => {
    const impatient = await start({ timeoutMs: 200 });
    mock.delay(1_000);
    const began = Date.now();
    const err = await refreshError(impatient, fileMaterial());
    expect(err.message).toMatch(/did not answer within 200 ms/);
    expect(Date.now() - began).toBeLessThan(900);
  });

  it('stops waiting when the host cancels the refresh (ctx.signal aborts)', async () => {
    mock.delay(1_500);
    const material = fileMaterial();
    const began = Date.now();
    // Aborting the signal sends the call's $/cancel, as the host's refresher does when it gives up.
    const cancelled = plugin.refresh({ id: 'acme#0', provider: 'acme', type: 'oauth2', material }, { signal: AbortSignal.timeout(150) });
    await expect(cancelled).rejects.toMatchObject({ kind: 'error', code: ErrorCodes.cancelled });
    expect(Date.now() - began).toBeLessThan(1_000);
    // The endpoint dropped the abandoned request unprocessed: the refresh token is still good.
    mock.delay(0);
    expect(mock.isValid((await plugin.refresh({ type: 'oauth2', material })).token!)).toBe(true);
  });
});

describe('oauth2 with the client in the plugin config', () => {
  let configured: PluginHarness;
  beforeAll(async () => {
    configured = await start({ tokenUrl: mock.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });

  it('takes token_url, client_id and client_secret from the config when the file has none', async () => {
    const material = { refresh_token: mock.issueRefreshToken(CLIENT_ID) };
    const answer = await configured.refresh({ type: 'oauth2', material });
    expect(mock.isValid(answer.token!)).toBe(true);
    expect(answer.material).toMatchObject({ refresh_token: mock.currentRefreshToken(CLIENT_ID) });
    expect(mock.grants[0]).toMatchObject({ clientId: CLIENT_ID, clientAuth: 'body', ok: true });
  });

  it('lets the file win over the config', async () => {
    const other = await startMockTokenServer();
    try {
      const rt = other.registerClient({ clientId: 'file-client', clientSecret: 'file-secret' });
      const answer = await configured.refresh({ type: 'oauth2', material: { token_url: other.tokenUrl, client_id: 'file-client', client_secret: 'file-secret', refresh_token: rt } });
      expect(other.isValid(answer.token!)).toBe(true);
      expect(other.grants[0]).toMatchObject({ clientId: 'file-client', ok: true });
      expect(mock.grants).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('authenticates with HTTP Basic when clientAuth is basic', async () => {
    const basic = await start({ tokenUrl: mock.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, clientAuth: 'basic' });
    const answer = await basic.refresh({ type: 'oauth2', material: { refresh_token: mock.issueRefreshToken(CLIENT_ID) } });
    expect(mock.isValid(answer.token!)).toBe(true);
    expect(mock.grants[0]).toMatchObject({ clientId: CLIENT_ID, clientAuth: 'basic', ok: true });
  });
});
