/**
 * Usage through HTTP: each client format, same-format (the upstream's bytes pass through,
 * unparsed) and translated, streamed and not, adds its request and the tokens the client was
 * told to its minute, under the client key's name; `GET /v0/management/usage` groups them by
 * client, model, provider and credential, survives a restart, and refuses a bad query with a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientFormat, type Reply, converse } from '../helpers/clients.js';
import { CLIENT_KEY, type TestHost, UPSTREAM_MODEL, mockProviders, responsesProvider, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-usage';
const ANON_KEY = 'sk-anon-usage';
let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    managementKey: MGMT,
    apiKeys: [{ name: 'ci-bot', key: CLIENT_KEY }, ANON_KEY],
    providers: [...mockProviders(mock), responsesProvider(mock)],
  });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function usage(query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${host.url}/v0/management/usage${query}`, { headers: { authorization: `Bearer ${MGMT}` } });
  return { status: res.status, body: await res.json() };
}

const FORMATS: ClientFormat[] = ['openai', 'anthropic', 'gemini', 'openai-responses'];
/** Each client format against its own upstream (pass-through) and the next one (translated). */
const PAIRS = FORMATS.flatMap((client, i) => [
  { client, upstream: client },
  { client, upstream: FORMATS[(i + 1) % FORMATS.length]! },
]);

describe('usage', () => {
  const replies: { upstream: ClientFormat; reply: Reply }[] = [];

  beforeAll(async () => {
    for (const { client, upstream } of PAIRS) {
      for (const stream of [false, true]) replies.push({ upstream, reply: await converse(client, host.url, UPSTREAM_MODEL[upstream], stream) });
    }
    // One the gateway refuses (no such model), and one from a key without a name.
    const refused = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(404);
    const anon = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ANON_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi there' }] }),
    });
    expect(anon.status).toBe(200);
  });

  it('counts every request and the tokens each client was told, under the client key name', async () => {
    const { status, body } = await usage('?groupBy=client');
    expect(status).toBe(200);
    expect(body.groupBy).toBe('client');
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(3_600_000);
    const bot = body.groups.find((g: any) => g.key === 'ci-bot');
    const input = replies.reduce((n, r) => n + r.reply.inputTokens!, 0);
    const output = replies.reduce((n, r) => n + r.reply.outputTokens!, 0);
    expect(input).toBeGreaterThan(0);
    expect(bot).toMatchObject({ requests: PAIRS.length * 2 + 1, inputTokens: input, outputTokens: output, cachedTokens: 0, errors: 1 });
    expect(bot.buckets.reduce((n: number, b: any) => n + b.requests, 0)).toBe(bot.requests);
    expect(bot.buckets.every((b: any) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/.test(b.minute))).toBe(true);
    // A key without a name reads as a digest prefix, never as the key.
    const others = body.groups.filter((g: any) => g.key !== 'ci-bot');
    expect(others).toHaveLength(1);
    expect(others[0].key).toMatch(/^key:/);
    expect(JSON.stringify(body)).not.toContain(ANON_KEY);
    expect(JSON.stringify(body)).not.toContain(CLIENT_KEY);
  });

  it('groups by the model, provider and credential that served each request', async () => {
    const byModel = (await usage('?groupBy=model')).body.groups;
    for (const upstream of FORMATS) {
      const served = replies.filter((r) => r.upstream === upstream);
      const group = byModel.find((g: any) => g.key === UPSTREAM_MODEL[upstream]);
      const output = served.reduce((n, r) => n + r.reply.outputTokens!, 0);
      // The nameless key's request went to the OpenAI model too.
      if (upstream === 'openai') expect(group).toMatchObject({ requests: served.length + 1 });
      else expect(group, upstream).toMatchObject({ requests: served.length, outputTokens: output });
    }
    // The refused request names the model it asked for, with no provider or credential.
    expect(byModel.find((g: any) => g.key === 'no-such-model')).toMatchObject({ requests: 1, errors: 1, inputTokens: 0 });
    const byProvider = (await usage('?groupBy=provider')).body.groups;
    expect(byProvider.map((g: any) => g.key).sort()).toEqual(['', 'anthropic', 'gemini', 'openai', 'responses']);
    const byCredential = (await usage('?groupBy=credential')).body.groups;
    const credentials = await (await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } })).json();
    const ids = credentials.map((c: any) => c.id);
    expect(byCredential.map((g: any) => g.key).sort()).toEqual(['', ...ids].sort());
  });

  it('reads a range: minutes outside it are left out', async () => {
    const past = await usage(`?from=${Date.now() - 7_200_000}&to=${Date.now() - 3_600_000}`);
    expect(past.status).toBe(200);
    expect(past.body.groups).toEqual([]);
    const rfc = await usage(`?from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`);
    expect(rfc.body.groups.length).toBeGreaterThan(0);
  });

  it('refuses a bad query with a 400 naming it', async () => {
    for (const query of ['?groupBy=key', '?from=yesterday', `?from=${Date.now()}&to=${Date.now() - 1000}`, '?limit=3']) {
      const { status, body } = await usage(query);
      expect(status, query).toBe(400);
      expect(body.error.message, query).toMatch(/query|from/);
    }
  });

  it('survives a restart', async () => {
    const before = (await usage('?groupBy=client')).body.groups;
    await host.restart();
    const after = (await usage('?groupBy=client')).body.groups;
    expect(after).toEqual(before);
  });
});
