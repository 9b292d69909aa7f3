/**
 * `logging.bodies`: traces keep request and answer bodies only as configured (`none`, `errors`,
 * `all`), cut to 4096 characters, with every secret the config holds redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-bodies-secret';
const UPSTREAM_KEY = 'sk-upstream-bodies-secret';
let mock: MockUpstream;
const hosts: TestHost[] = [];

beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  await mock?.close();
});

async function hostWith(bodies?: string): Promise<TestHost> {
  const host = await startHost({
    managementKey: MGMT,
    ...(bodies ? { logging: { bodies } } : {}),
    providers: [{ name: 'up', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: [UPSTREAM_KEY], models: ['gpt-4.1'] }],
  });
  hosts.push(host);
  return host;
}

async function chat(host: TestHost, model: string, content: string) {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
  });
  await res.arrayBuffer();
  const id = res.headers.get('x-switchyard-request-id')!;
  const trace = await (await fetch(`${host.url}/v0/management/requests/${id}`, { headers: { authorization: `Bearer ${MGMT}` } })).json();
  return { status: res.status, trace };
}

describe('logging.bodies', () => {
  it('none (the default) keeps no bodies', async () => {
    const host = await hostWith();
    expect((await chat(host, 'gpt-4.1', 'hello')).trace.bodies).toBeUndefined();
    expect((await chat(host, 'nope', 'hello')).trace.bodies).toBeUndefined();
  });

  it('errors keeps the bodies of failed requests only, secrets redacted', async () => {
    const host = await hostWith('errors');
    expect((await chat(host, 'gpt-4.1', 'hello')).trace.bodies).toBeUndefined();
    const { status, trace } = await chat(host, 'nope', `my keys are ${CLIENT_KEY}, ${UPSTREAM_KEY} and ${MGMT}`);
    expect(status).toBe(404);
    expect(trace.bodies.request).toContain('"model":"nope"');
    expect(trace.bodies.request).toContain('my keys are [redacted], [redacted] and [redacted]');
    expect(JSON.parse(trace.bodies.response).error.message).toMatch(/nope/);
    const text = JSON.stringify(trace);
    for (const secret of [CLIENT_KEY, UPSTREAM_KEY, MGMT]) expect(text).not.toContain(secret);
  });

  it('all keeps every request\'s bodies, cut to 4096 characters', async () => {
    const host = await hostWith('all');
    const ok = (await chat(host, 'gpt-4.1', 'hello there')).trace;
    expect(ok.bodies.request).toContain('hello there');
    expect(JSON.parse(ok.bodies.response).choices[0].message.role).toBe('assistant');
    expect(ok.bodies.truncated).toBeUndefined();
    const long = (await chat(host, 'gpt-4.1', 'word '.repeat(3000))).trace;
    expect(long.bodies.request).toHaveLength(4096);
    expect(long.bodies.truncated).toBe(true);
  });
});
