/**
 * Every plugin capability through the running host, with the fixture plugins: routers (order,
 * targets, fall-through), executors (JSON, streams, upstream-like failures, nested calls),
 * request/response/stream interceptors, the scheduler, and the environment a plugin sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type LogLines, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { pluginsDir } from '../helpers/plugins.js';

const PLUGINS = [
  'router-throws', 'router-invalid', 'router-equal-a', 'router-equal-b', 'router-provider',
  'executor-stream', 'executor-429', 'nested-caller', 'env-reader',
  'interceptor-reject', 'interceptor-rewrite', 'interceptor-after', 'interceptor-fail-closed',
  'response-stamp', 'stream-edit', 'scheduler-last',
];
const MGMT = 'mgmt-plugins';

let mock: MockUpstream;
let host: TestHost;
const logs: LogLines = [];

beforeAll(async () => {
  process.env.SWITCHYARD_TEST_VISIBLE = 'yes';
  process.env.SWITCHYARD_TEST_HIDDEN = 'no';
  mock = await startMockUpstream();
  const providers = mockProviders(mock);
  // Three keys on openai, so the scheduler has a choice; claude-haiku-4-5 gets an invalid pick.
  (providers[0] as { apiKeys: string[] }).apiKeys = ['sk-o-0', 'sk-o-1', 'sk-o-2'];
  (providers[1] as { apiKeys: string[]; models: string[] }).apiKeys = ['sk-a-0', 'sk-a-1'];
  (providers[1] as { models: string[] }).models.push('claude-haiku-4-5');
  host = await startHost(
    {
      managementKey: MGMT,
      providers,
      plugins: {
        dir: await pluginsDir(PLUGINS),
        callTimeout: '2s',
        items: {
          'router-equal-a': { priority: 5 },
          'router-equal-b': { priority: 5 },
          'interceptor-fail-closed': { failClosed: true },
          'env-reader': { env: ['SWITCHYARD_TEST_VISIBLE'] },
        },
      },
    },
    { logs },
  );
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function chat(model: string, content = 'hi', extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...extra }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, any> };
}

async function plugins(): Promise<Record<string, any>[]> {
  const res = await fetch(`${host.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${MGMT}` } });
  return (await res.json()) as Record<string, any>[];
}

describe('routers', () => {
  it('all load active with their capabilities', async () => {
    const list = await plugins();
    expect(list.map((p) => p.id)).toEqual([...PLUGINS].sort());
    expect(list.every((p) => p.state === 'active')).toBe(true);
    expect(list.find((p) => p.id === 'executor-stream')).toMatchObject({ capabilities: expect.arrayContaining(['modelRouter', 'executor']), threads: 1, priority: 0 });
  });

  it('of equal priority answer in id order, and the winner is named in x-switchyard-router', async () => {
    mock.reset();
    const r = await chat('trigger-equal');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-router')).toBe('router-equal-a');
    expect(r.headers.get('x-switchyard-model')).toBe('gpt-4.1');
  });

  it('route to a provider with a target model', async () => {
    const r = await chat('trigger-provider');
    expect(r.headers.get('x-switchyard-provider')).toBe('anthropic');
    expect(r.headers.get('x-switchyard-router')).toBe('router-provider');
  });

  it('that throw, or answer an unknown target or kind, fall through without being fused', async () => {
    for (const model of ['trigger-throws', 'trigger-invalid-provider', 'trigger-invalid-kind']) {
      const r = await chat(model);
      // Nothing else serves these names: the normal path answers 404, the request is still answered.
      expect(r.status).toBe(404);
      expect(r.headers.get('x-switchyard-router')).toBeNull();
    }
    const thrower = (await plugins()).find((p) => p.id === 'router-throws')!;
    expect(thrower).toMatchObject({ state: 'active', crashes: 0, timeouts: 0 });
    expect(thrower.errors).toBeGreaterThanOrEqual(1);
  });
});

describe('executors', () => {
  it('serve their models, translated to the client format', async () => {
    const res = await fetch(`${host.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
      body: JSON.stringify({ model: 'fixture-echo', max_tokens: 50, messages: [{ role: 'user', content: 'hello plugin' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('fixture');
    expect(await res.json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'fixture echo: hello plugin' }], stop_reason: 'end_turn' });
  });

  it('stream, through a router answering self', async () => {
    const r = await chat('trigger-self', 'stream me', { stream: true });
    expect(r.headers.get('x-switchyard-router')).toBe('executor-stream');
    const text = r.text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? '')
      .join('');
    // stream-edit upper-cases every OpenAI delta on the way out.
    expect(text).toBe('FIXTURE ECHO: STREAM ME');
    expect(r.text.trim().split('\n').at(-1)).toBe('data: [DONE]');
  });

  it('that throw {status: 429} cool their provider like an upstream 429', async () => {
    const r = await chat('flaky-model', 'quota please');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(50);
    const again = await chat('flaky-model', 'quota please');
    expect(again.status).toBe(429);
  });

  it('that throw {status: 503} fail over like an upstream 5xx; every attempt overloaded, the request is answered overloaded', async () => {
    const r = await chat('flaky/other-model', 'overloaded please');
    expect(r.text).toContain('fixture overloaded');
    // One known kind behind every attempt keeps its meaning: OpenAI's overloaded is 503 server_error.
    expect(r.status).toBe(503);
    expect(r.json().error.type).toBe('server_error');
    expect(r.json().error.message).toContain('fixture overloaded');
  });

  it('run nested requests through the pipeline, skipping the caller’s router', async () => {
    mock.reset();
    const before = logs.filter((l) => l.msg === 'nested router call').length;
    const r = await chat('nested-model-via-router');
    expect(r.status).toBe(200);
    // The inner answer passes the response interceptor too, then the outer one.
    expect(r.json().choices[0].message.content).toBe('nested: [openai:gpt-4.1] inner question [stamped] [stamped]');
    expect(mock.requests.map((q) => q.model)).toEqual(['gpt-4.1']);
    expect(logs.filter((l) => l.msg === 'nested router call').length - before).toBe(1);
  });

  it('see only the environment variables their config item names', async () => {
    const content = (await chat('env-model')).json().choices[0].message.content as string;
    const keys = JSON.parse(content.replace(/ \[stamped\]$/, '')) as string[];
    expect(keys).toContain('SWITCHYARD_TEST_VISIBLE');
    expect(keys).not.toContain('SWITCHYARD_TEST_HIDDEN');
    expect(keys.filter((k) => /KEY|TOKEN|SECRET/i.test(k))).toEqual([]);
  });
});

describe('interceptors', () => {
  it('reject a request with their own reply and no upstream call', async () => {
    mock.reset();
    const r = await chat('gpt-4.1', 'say forbidden-word');
    expect(r.status).toBe(403);
    expect(r.headers.get('x-policy')).toBe('blocked');
    expect(r.json()).toEqual({ error: { message: 'blocked by policy', type: 'policy' } });
    expect(mock.requests).toHaveLength(0);
  });

  it('rewrite the body and headers before the upstream sees them', async () => {
    mock.reset();
    const r = await chat('gpt-4.1', 'please rewrite-me now', {}, { 'x-remove-me': 'present' });
    expect(r.status).toBe(200);
    const rec = mock.requests[0]!;
    expect(rec.body.messages[0].content).toBe('please rewritten now');
    expect(rec.headers['x-rewritten']).toBe('yes');
    expect(rec.headers['x-remove-me']).toBeUndefined();
  });

  it('run afterAuth with the chosen provider and credential', async () => {
    mock.reset();
    const r = await chat('claude-sonnet-4-6');
    const credential = r.headers.get('x-switchyard-credential');
    expect(mock.requests[0]!.headers['x-after-auth']).toBe(`anthropic:${credential}`);
  });

  it('fail the request with 503 when a fail-closed interceptor throws', async () => {
    mock.reset();
    const r = await chat('gpt-4.1', 'guard-test');
    expect(r.status).toBe(503);
    expect(r.json().error.message).toContain('interceptor-fail-closed');
    expect(mock.requests).toHaveLength(0);
  });

  it('stamp successful answers (response interceptor)', async () => {
    const r = await chat('gpt-4.1', 'stamp me');
    expect(r.headers.get('x-stamped')).toBe('1');
    expect(r.json().choices[0].message.content).toBe('[openai:gpt-4.1] stamp me [stamped]');
  });

  it('edit and drop stream events (stream interceptor)', async () => {
    const r = await chat('fixture-echo', 'please drop it', { stream: true });
    const pieces = r.text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content)
      .filter((c) => c);
    expect(pieces.join('')).toBe('FIXTURE ECHO: PLEASE IT');
  });
});

describe('scheduler', () => {
  it('picks the credential it names', async () => {
    mock.reset();
    for (let i = 0; i < 3; i++) expect((await chat('gpt-4.1-mini')).headers.get('x-switchyard-credential')).toBe('openai#2');
    expect(mock.requests.map((q) => q.apiKey)).toEqual(['sk-o-2', 'sk-o-2', 'sk-o-2']);
  });

  it('an invalid answer falls back to the built-in selector (round-robin)', async () => {
    mock.reset();
    for (let i = 0; i < 4; i++) expect((await chat('claude-haiku-4-5')).status).toBe(200);
    expect(mock.requests.map((q) => q.apiKey)).toEqual(['sk-a-0', 'sk-a-1', 'sk-a-0', 'sk-a-1']);
  });

  it('delegates to a built-in strategy', async () => {
    mock.reset();
    for (let i = 0; i < 3; i++) await chat('gpt-4.1');
    expect(mock.requests.map((q) => q.apiKey)).toEqual(['sk-o-0', 'sk-o-0', 'sk-o-0']);
  });
});
