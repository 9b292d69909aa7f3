/**
 * The google-service-account plugin in a real worker (the SDK test harness) against the mock
 * token endpoint, which verifies the RS256 JWT for real: a successful exchange, the
 * claims it signs, a key the endpoint does not know, and failures whose messages carry no
 * secret.
 */
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { createHarness, type PluginHarness } from '@switchyard/plugin-sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JWT_BEARER, type MockTokenServer, makeServiceAccount, startMockTokenServer } from '../../../test/mock-token/index.js';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));

let mock: MockTokenServer;
let plugin: PluginHarness;
let sa: ReturnType<typeof makeServiceAccount>;
beforeAll(async () => {
  mock = await startMockTokenServer({ expiresIn: 2 });
  sa = makeServiceAccount({ tokenUri: mock.tokenUrl, projectId: 'vertex-proj', location: 'europe-west4', provider: 'vertex' });
  mock.registerServiceAccount({ clientEmail: sa.file.client_email, publicKeyPem: sa.publicKeyPem, keyId: sa.file.private_key_id });
  plugin = await createHarness({ plugin: PLUGIN });
});
afterAll(async () => {
  await plugin?.close();
  await mock?.close();
});
beforeEach(() => mock.reset());

/** The credential material of a key file: every field but provider, type and label. */
function materialOf(file: Record<string, unknown>): Record<string, unknown> {
  const { provider: _p, type: _t, label: _l, ...material } = file;
  return material;
}

const refresh = (material: Record<string, unknown>) => plugin.refresh({ id: 'vertex#0', provider: 'vertex', type: 'service_account', material });

async function refreshError(material: Record<string, unknown>): Promise<Error> {
  const err = await refresh(material).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

/** The PEM body lines of a key: any of them in a message would leak key material. */
const keyLines = (pem: string) => pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));

function expectNoKey(message: string, pem: string): void {
  for (const line of keyLines(pem)) expect(message).not.toContain(line);
}

describe('google-service-account', () => {
  it('registers the auth capability for service_account credentials', () => {
    expect(plugin.registration).toMatchObject({ id: 'google-service-account', protocol: PROTOCOL_VERSION, capabilities: ['auth'], auth: { types: ['service_account'] } });
  });

  it('exchanges an RS256 JWT the endpoint verified for a working token, with project and region as metadata', async () => {
    const before = Date.now();
    const answer = await refresh(materialOf(sa.file as unknown as Record<string, unknown>));
    const after = Date.now();

    // The mock accepted the assertion only after checking its signature against the public key.
    expect(mock.grants).toEqual([
      expect.objectContaining({
        grantType: JWT_BEARER,
        ok: true,
        clientId: sa.file.client_email,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        contentType: 'application/x-www-form-urlencoded',
      }),
    ]);
    // The JWT as specified: RS256 with the key id, iss/aud/scope, an hour from iat.
    const { header, claims } = mock.grants[0]!.jwt!;
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: sa.file.private_key_id });
    expect(claims).toEqual({ iss: sa.file.client_email, aud: mock.tokenUrl, scope: 'https://www.googleapis.com/auth/cloud-platform', iat: expect.any(Number), exp: expect.any(Number) });
    expect(claims.exp as number - (claims.iat as number)).toBe(3600);
    expect(Math.abs((claims.iat as number) - before / 1000)).toBeLessThan(5);
    expect(answer.token).toEqual(expect.stringMatching(/^ya29\./));
    expect(mock.isValid(answer.token!)).toBe(true);
    expect(mock.tokenOwner(answer.token!)).toBe(sa.file.client_email);
    expect(answer.expiresAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(answer.expiresAt).toBeLessThanOrEqual(after + 2_000);
    expect(answer.metadata).toEqual({ project_id: 'vertex-proj', location: 'europe-west4' });
    // The key file never changes: nothing to write back.
    expect(answer.material).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(mock.isValid(answer.token!)).toBe(false);
    // A new refresh signs a new JWT and gets a new token.
    const next = await refresh(materialOf(sa.file as unknown as Record<string, unknown>));
    expect(next.token).not.toBe(answer.token);
    expect(mock.isValid(next.token!)).toBe(true);
  });

  it('defaults the location to us-central1', async () => {
    const { location: _, ...material } = materialOf(sa.file as unknown as Record<string, unknown>);
    expect((await refresh(material)).metadata).toEqual({ project_id: 'vertex-proj', location: 'us-central1' });
  });

  it('accepts a private key whose newlines arrived escaped', async () => {
    const material = { ...materialOf(sa.file as unknown as Record<string, unknown>), private_key: sa.file.private_key.replace(/\n/g, '\\n') };
    expect(mock.isValid((await refresh(material)).token!)).toBe(true);
  });

  it('fails when the JWT is signed with another key: the endpoint refuses it, no key in the message', async () => {
    const impostor = makeServiceAccount({ tokenUri: mock.tokenUrl, projectId: 'vertex-proj' });
    // The registered account's file, with someone else's private key in it.
    const material = { ...materialOf(sa.file as unknown as Record<string, unknown>), private_key: impostor.file.private_key };
    const err = await refreshError(material);
    expect(err.message).toMatch(/HTTP 400: invalid_grant: Invalid JWT Signature\./);
    expectNoKey(err.message, impostor.file.private_key);
    expectNoKey(err.message, sa.file.private_key);
    expect(mock.grants).toEqual([expect.objectContaining({ grantType: JWT_BEARER, ok: false, status: 400, error: 'invalid_grant' })]);
    expect(mock.refreshCount).toBe(0);
  });

  it('fails on an account the endpoint does not know, and on a server error, naming status and error only', async () => {
    const stranger = makeServiceAccount({ tokenUri: mock.tokenUrl, projectId: 'elsewhere' });
    const err = await refreshError(materialOf(stranger.file as unknown as Record<string, unknown>));
    expect(err.message).toMatch(/HTTP 400: invalid_grant: Invalid grant: account not found/);
    expectNoKey(err.message, stranger.file.private_key);

    mock.fail({ status: 503, times: 1 });
    const down = await refreshError(materialOf(sa.file as unknown as Record<string, unknown>));
    expect(down.message).toMatch(/HTTP 503: server_error: mock failure 503/);
    expectNoKey(down.message, sa.file.private_key);
  });

  it('names a broken or missing key without quoting it', async () => {
    const broken = `-----BEGIN PRIVATE KEY-----\nTk9UQUtFWV9zZWNyZXRfbWF0ZXJpYWxfMTIzNDU2Nzg5\n-----END PRIVATE KEY-----\n`;
    const err = await refreshError({ ...materialOf(sa.file as unknown as Record<string, unknown>), private_key: broken });
    expect(err.message).toMatch(/private_key is not a PEM private key/);
    expectNoKey(err.message, broken);
    const { private_key: _, ...noKey } = materialOf(sa.file as unknown as Record<string, unknown>);
    expect((await refreshError(noKey)).message).toMatch(/no private_key/);
    const { client_email: __, ...noEmail } = materialOf(sa.file as unknown as Record<string, unknown>);
    expect((await refreshError(noEmail)).message).toMatch(/no client_email/);
    expect(mock.grants).toEqual([]);
  });
});
