/**
 * Credentials that expire, end to end: OAuth2 credential files dropped into `authDir/credentials/`
 * serve through the bundled `oauth2` plugin against a mock token endpoint (short-lived tokens,
 * rotating refresh tokens, failures on demand), and the mock upstream refuses any token the
 * token endpoint would not accept at that moment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type RedisServer, freePort, startRedis } from '../helpers/redis-server.js';
import { within } from '../helpers/wait.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { type MockTokenServer, makeServiceAccount, startMockTokenServer } from '../mock-token/index.js';

const MGMT = 'mgmt-refresh';
const BUNDLED = fileURLToPath(new URL('../../plugins/', import.meta.url));
let mock: MockUpstream;
let tokens: MockTokenServer;
let pluginDir: string;
const hosts: TestHost[] = [];

beforeAll(async () => {
  mock = await startMockUpstream();
  tokens = await startMockTokenServer({ expiresIn: 3 });
  // The bundled oauth2 plugin alone.
  pluginDir = await mkdtemp(join(tmpdir(), 'switchyard-auth-plugins-'));
  for (const plugin of ['oauth2', 'google-service-account']) await cp(join(BUNDLED, plugin), join(pluginDir, plugin), { recursive: true });
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  mock.reset();
  tokens.reset();
  tokens.setExpiresIn(3);
});
afterAll(async () => {
  await Promise.all([mock?.close(), tokens?.close()]);
  await rm(pluginDir, { recursive: true, force: true });
});

function config() {
  return {
    managementKey: MGMT,
    // No keys and no listed files: this provider's credentials are the files that name it.
    providers: [{ name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), models: ['gpt-4.1'] }],
    plugins: { dir: pluginDir },
  };
}

async function gateway(): Promise<TestHost> {
  const host = await startHost(config());
  hosts.push(host);
  // Only tokens the token endpoint would accept now get through.
  mock.authorize = (token) => tokens.isValid(token);
  return host;
}

/** An OAuth2 credential file for a new client of the mock token endpoint. */
function credentialFile(clientId: string, extra: Record<string, unknown> = {}) {
  const refreshToken = tokens.registerClient({ clientId, clientSecret: `${clientId}-secret` });
  return { provider: 'oa', type: 'oauth2', token_url: tokens.tokenUrl, client_id: clientId, client_secret: `${clientId}-secret`, refresh_token: refreshToken, ...extra };
}

/**
 * At least two refreshes, each a second or more after the one before. A second refresher (another
 * worker or host) would follow the first within milliseconds; gaps rather than a count keep a slow
 * start on a loaded machine, which only adds two-second periods, from reading as a duplicate.
 */
function expectRefreshesApart(): void {
  const times = tokens.grants.filter((g) => g.ok).map((g) => g.at);
  expect(times.length).toBeGreaterThanOrEqual(2);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  expect(Math.min(...gaps), `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(1_000);
}

async function drop(host: TestHost, name: string, content: unknown): Promise<string> {
  const dir = join(host.dir, 'auths', 'credentials');
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

async function chat(url: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function credentials(host: TestHost): Promise<any[]> {
  return (await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } })).json();
}

describe('credentials that expire', () => {
  it('a dropped-in credential file serves within a second; its token is refreshed ahead of expiry and no request sees an expired one', async () => {
    const host = await gateway();
    expect((await chat(host.url)).status).toBe(503);
    const path = await drop(host, 'first.json', credentialFile('client-a'));
    const dropped = performance.now();
    await within(1_000, async () => (await chat(host.url)).status === 200);
    expect(performance.now() - dropped).toBeLessThan(1_000);
    // Three-second tokens, requests for five seconds: two refreshes or more, every one ahead of use.
    const until = Date.now() + 5_000;
    let served = 0;
    while (Date.now() < until) {
      expect((await chat(host.url)).status).toBe(200);
      served++;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(served).toBeGreaterThan(20);
    expect(mock.refused).toEqual([]);
    expect(tokens.refreshCount).toBeGreaterThanOrEqual(2);
    // Each rotated refresh token was written back before it was used again.
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(file.refresh_token).toBe(tokens.currentRefreshToken('client-a'));
    expect(file.access_token).toBeDefined();
    const [view] = await credentials(host);
    expect(view).toMatchObject({ id: 'oa#0', provider: 'oa', label: 'first.json', status: 'active' });
    expect(JSON.stringify(await credentials(host))).not.toContain(file.refresh_token);
  });

  it('50 concurrent requests at expiry cause exactly one refresh', async () => {
    const host = await gateway();
    // A token in the file that has just expired: every request needs the refresh.
    await drop(host, 'expired.json', credentialFile('client-b', { access_token: 'expired-token-xyz', expires_at: new Date(Date.now() - 1000).toISOString() }));
    await within(1_000, async () => (await credentials(host)).length === 1);
    const answers = await Promise.all(Array.from({ length: 50 }, () => chat(host.url)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(tokens.grants.filter((g) => g.ok)).toHaveLength(1);
    expect(mock.refused).toEqual([]);
  });

  it('a failing refresh backs off, shows its error on the credential, and recovers', async () => {
    const host = await gateway();
    tokens.fail({ status: 400, error: 'invalid_grant', errorDescription: 'refresh token revoked by the mock', times: 2 });
    await drop(host, 'failing.json', credentialFile('client-c'));
    await within(2_500, async () => (await credentials(host))[0]?.status === 'unavailable', 50);
    const [view] = await credentials(host);
    expect(view.reason).toMatch(/refresh failed: .*400.*invalid_grant/);
    // Backing off: requests fail over at once instead of asking the token endpoint each time.
    const asked = tokens.grants.length;
    for (let i = 0; i < 5; i++) expect([502, 503]).toContain((await chat(host.url)).status);
    expect(tokens.grants.length - asked).toBeLessThanOrEqual(1);
    // After the second failure (1 s, then 2 s of backoff) the third attempt succeeds.
    await within(6_000, async () => (await chat(host.url)).status === 200, 100);
    expect((await credentials(host))[0]).toMatchObject({ status: 'active' });
    expect(tokens.grants.filter((g) => !g.ok)).toHaveLength(2);
  });

  it('an upstream 401 on a token refreshes once and the request succeeds', async () => {
    tokens.setExpiresIn(3600);
    const host = await gateway();
    await drop(host, 'revoked.json', credentialFile('client-d'));
    await within(1_000, async () => (await chat(host.url)).status === 200);
    const before = tokens.refreshCount;
    tokens.revoke();
    const { status } = await chat(host.url);
    expect(status).toBe(200);
    expect(tokens.refreshCount - before).toBe(1);
    expect(mock.refused).toHaveLength(1);
  });

  it('management adds, lists and removes credential files, never showing their secrets', async () => {
    tokens.setExpiresIn(3600);
    const host = await gateway();
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${host.url}/v0/management${path}`, {
        method,
        headers: { authorization: `Bearer ${MGMT}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const content = credentialFile('client-f', { label: 'team f' });
    const added = await call('POST', '/credential-files', { name: 'team-f.json', content });
    expect(added.status).toBe(201);
    await within(1_000, async () => (await chat(host.url)).status === 200);
    const listed = await (await call('GET', '/credential-files')).json();
    expect(listed).toEqual([{ name: 'team-f.json', folder: 'credentials', provider: 'oa', type: 'oauth2', label: 'team f', credential: 'oa#0', expiresAt: expect.any(String), refreshing: false }]);
    const text = JSON.stringify(listed) + JSON.stringify(await credentials(host));
    for (const secret of [content.client_secret, content.refresh_token, tokens.currentRefreshToken('client-f')!]) expect(text).not.toContain(secret);
    // A changed file is taken up in place: same credential, its new label, no failed request.
    expect((await call('POST', '/credential-files', { name: 'team-f.json', content: { ...content, refresh_token: tokens.currentRefreshToken('client-f'), label: 'team f, renamed' } })).status).toBe(201);
    await within(1_000, async () => (await credentials(host))[0]?.label === 'team f, renamed');
    expect((await chat(host.url)).status).toBe(200);
    expect((await call('POST', '/credential-files', { name: '../escape.json', content })).status).toBe(400);
    expect((await call('POST', '/credential-files', { name: 'no-type.json', content: { provider: 'oa' } })).status).toBe(400);
    expect((await call('DELETE', '/credential-files/team-f.json')).status).toBe(200);
    expect((await call('DELETE', '/credential-files/team-f.json')).status).toBe(404);
    await within(1_000, async () => (await credentials(host)).length === 0);
    expect((await chat(host.url)).status).toBe(503);
  });

  it('a host killed mid-refresh restarts with a usable credential file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-killed-'));
    const port = await freePort();
    const file = join(dir, 'auths', 'credentials', 'killed.json');
    await mkdir(join(dir, 'auths', 'credentials'), { recursive: true });
    await writeFile(file, JSON.stringify(credentialFile('client-e')));
    await writeFile(join(dir, 'switchyard.yaml'), stringify({ port, apiKeys: [CLIENT_KEY], ...config() }));
    mock.authorize = (token) => tokens.isValid(token);
    const url = `http://127.0.0.1:${port}`;
    // The token endpoint holds every refresh for 3 s: the host's first one is in flight when it dies.
    tokens.delay(3_000);
    let child = spawnHost(dir);
    try {
      await within(5_000, async () => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 50);
      // The background check starts the refresh within a second of start-up.
      await new Promise((r) => setTimeout(r, 1_500));
      child.kill('SIGKILL');
      // The endpoint saw the refresh and dropped it when its client went away: nothing rotated.
      await tokens.waitFor((grants) => grants.some((g) => g.status === 0), 4_000);
      tokens.delay(0);
      // The file is whole, and its refresh token is still the one the endpoint accepts.
      const kept = JSON.parse(await readFile(file, 'utf8'));
      expect(kept.refresh_token).toBe(tokens.currentRefreshToken('client-e'));
      child = spawnHost(dir);
      await within(5_000, async () => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 50);
      expect((await chat(url)).status).toBe(200);
      expect(mock.refused).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Vertex AI with a service account', () => {
  it('serves Gemini and Anthropic models from the project and region of the key file, with minted tokens', async () => {
    tokens.setExpiresIn(3600);
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-vertex-'));
    const files: Record<string, string> = {};
    for (const provider of ['vg', 'vc']) {
      const { file, publicKeyPem } = makeServiceAccount({ tokenUri: tokens.tokenUrl, projectId: 'proj-x', location: 'europe-west4', provider, clientEmail: `${provider}@proj-x.iam.gserviceaccount.com` });
      tokens.registerServiceAccount({ clientEmail: file.client_email, publicKeyPem, keyId: file.private_key_id });
      files[provider] = join(dir, `${provider}.json`);
      await writeFile(files[provider]!, JSON.stringify(file));
    }
    const host = await startHost({
      managementKey: MGMT,
      providers: [
        { name: 'vg', type: 'gemini', baseUrl: mock.vertexBaseUrl, models: ['gemini-2.5-pro'], credentials: [files.vg] },
        { name: 'vc', type: 'anthropic', baseUrl: mock.vertexBaseUrl, models: ['claude-sonnet-4-6'], credentials: [files.vc] },
      ],
      plugins: { dir: pluginDir },
    });
    hosts.push(host);
    mock.authorize = (token) => tokens.isValid(token);
    try {
      // An OpenAI client, translated to Gemini on Vertex.
      const first = await fetch(`${host.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` }, body: JSON.stringify({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "hi" }] }) });
      expect(first.status, await first.clone().text()).toBe(200);
      // An Anthropic client, its body passed on with Vertex's changes, streamed and not.
      for (const stream of [false, true]) {
        const res = await fetch(`${host.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status, `stream ${stream}`).toBe(200);
        expect(await res.text()).toContain(stream ? 'message_stop' : '"type":"message"');
      }
      const [gemini, claude, claudeStream] = mock.requests;
      expect(gemini).toMatchObject({ format: 'gemini', project: 'proj-x', location: 'europe-west4', model: 'gemini-2.5-pro' });
      expect(gemini!.path).toContain('/publishers/google/models/gemini-2.5-pro:generateContent');
      expect(claude).toMatchObject({ format: 'anthropic', project: 'proj-x', location: 'europe-west4', model: 'claude-sonnet-4-6' });
      expect(claude!.path).toMatch(/\/publishers\/anthropic\/models\/claude-sonnet-4-6:rawPredict$/);
      expect(claudeStream!.path).toMatch(/:streamRawPredict$/);
      expect(claude!.body).toMatchObject({ anthropic_version: 'vertex-2023-10-16' });
      expect(claude!.body.model).toBeUndefined();
      expect(mock.refused).toEqual([]);
      // One JWT exchange per service account, each verified by the token endpoint.
      expect(tokens.grants.filter((g) => g.ok && g.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer')).toHaveLength(2);
      const listed = await (await fetch(`${host.url}/v0/management/credential-files`, { headers: { authorization: `Bearer ${MGMT}` } })).json();
      expect(listed.map((f: any) => [f.name, f.folder, f.type])).toEqual([['vg.json', 'listed', 'service_account'], ['vc.json', 'listed', 'service_account']]);
      expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --workers', () => {
  it('the workers refresh a credential once between them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-'));
    const port = await freePort();
    await mkdir(join(dir, 'auths', 'credentials'), { recursive: true });
    await writeFile(join(dir, 'auths', 'credentials', 'workers.json'), JSON.stringify(credentialFile('client-h')));
    await writeFile(join(dir, 'switchyard.yaml'), stringify({ port, apiKeys: [CLIENT_KEY], ...config() }));
    mock.authorize = (token) => tokens.isValid(token);
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'switchyard.yaml'), '--workers', '2'], { stdio: 'ignore', env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'silent' } });
    try {
      await within(10_000, async () => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 100);
      // Three-second tokens for five seconds, requests spread over both workers by the kernel.
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        const answers = await Promise.all([chat(url), chat(url), chat(url)]);
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(mock.refused).toEqual([]);
      // A second refresh of one generation of the rotating token would have been refused.
      expect(tokens.grants.filter((g) => !g.ok)).toEqual([]);
      // One every two seconds (a third of a 3 s life before expiry), not one per worker.
      expectRefreshesApart();
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hosts sharing one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('one refresh per credential between them, and every host sends the refreshed token', async () => {
    const shared = { ...config(), state: { store: 'redis', url: redis.url, keyPrefix: `t-${Date.now()}:` } };
    const [a, b] = await Promise.all([startHost(shared), startHost(shared)]);
    hosts.push(a!, b!);
    mock.authorize = (token) => tokens.isValid(token);
    // Each host has its own copy of the credential, under the same name.
    const content = credentialFile('client-g');
    await Promise.all([drop(a!, 'shared.json', content), drop(b!, 'shared.json', content)]);
    await within(2_000, async () => (await chat(a!.url)).status === 200 && (await chat(b!.url)).status === 200, 50);
    // Three-second tokens for five seconds on both hosts: the refreshes of one host, not of two.
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      expect((await chat(a!.url)).status).toBe(200);
      expect((await chat(b!.url)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(mock.refused).toEqual([]);
    // Rotating refresh tokens: a second refresh of the same generation would have been refused.
    expect(tokens.grants.filter((g) => !g.ok)).toEqual([]);
    // One every two seconds (a third of a 3 s life before expiry), not one per host.
    expectRefreshesApart();
    // Both files hold the refresh token the endpoint accepts now.
    for (const host of [a!, b!]) {
      const file = JSON.parse(await readFile(join(host.dir, 'auths', 'credentials', 'shared.json'), 'utf8'));
      expect(file.refresh_token).toBe(tokens.currentRefreshToken('client-g'));
    }
  });
});

const CLI = fileURLToPath(new URL('../../host/dist/cli/main.js', import.meta.url));

function spawnHost(dir: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'switchyard.yaml')], { stdio: 'ignore', env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'silent' } });
}
