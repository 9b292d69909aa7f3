/**
 * The bundled plugins (the repo's plugins/ folder) through the running host: echo serving a
 * gateway with no config at all, the two routers, prompt-guard in each client format, and the
 * least-inflight scheduler spreading concurrent requests.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, createLogger } from '../../host/src/index.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type TestHost, UPSTREAM_KEYS, mockProviders, startHost } from '../helpers/host.js';
import { type ClientFormat, QUESTION, converse, openaiClient } from '../helpers/clients.js';

const BUNDLED = fileURLToPath(new URL('../../plugins/', import.meta.url));
const IDS = ['echo', 'header-router', 'least-inflight-scheduler', 'long-context-router', 'prompt-guard'];
const MGMT = 'mgmt-bundled';
const OPENAI_KEYS = ['sk-o-0', 'sk-o-1', 'sk-o-2'];
/** Key-shaped, as a user pasting one would send; not a real key. */
const FAKE_KEY = `sk-proj-${'T3stOnly'.repeat(4)}`;

/** A plugins dir holding copies of the bundled plugins (their tests left out). */
async function bundledCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bundled-'));
  for (const id of IDS) {
    const from = join(BUNDLED, id);
    await cp(from, join(dir, id), { recursive: true, filter: (src) => !src.startsWith(join(from, 'test')) && !src.includes(`${sep}node_modules`) });
  }
  return dir;
}

async function managedPlugins(host: TestHost): Promise<Record<string, any>[]> {
  const res = await fetch(`${host.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${MGMT}` } });
  return (await res.json()) as Record<string, any>[];
}

/** One request in `format`'s own wire shape, with `text` as the user message. */
async function send(host: TestHost, format: ClientFormat, model: string, text: string, headers: Record<string, string> = {}) {
  const requests: Record<ClientFormat, { path: string; auth: Record<string, string>; body: unknown }> = {
    openai: { path: '/v1/chat/completions', auth: { authorization: `Bearer ${CLIENT_KEY}` }, body: { model, messages: [{ role: 'user', content: text }] } },
    anthropic: {
      path: '/v1/messages',
      auth: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      body: { model, max_tokens: 100, messages: [{ role: 'user', content: text }] },
    },
    gemini: { path: `/v1beta/models/${model}:generateContent`, auth: { 'x-goog-api-key': CLIENT_KEY }, body: { contents: [{ role: 'user', parts: [{ text }] }] } },
  };
  const request = requests[format];
  const res = await fetch(`${host.url}${request.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.auth, ...headers },
    body: JSON.stringify(request.body),
  });
  const body = await res.text();
  return { status: res.status, headers: res.headers, text: body, json: () => JSON.parse(body) as Record<string, any> };
}

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(async () => {
  await mock?.close();
});

describe('echo, with no config file and no key at all', () => {
  let gateway: Gateway;
  let cwd: string;
  beforeAll(async () => {
    // What `npm start` does on a fresh clone: no switchyard.yaml, no keys in the environment,
    // so the plugins dir is the bundled one and echo is the only thing serving.
    cwd = await mkdtemp(join(tmpdir(), 'switchyard-fresh-'));
    gateway = await Gateway.start({ env: {}, cwd, port: 0, watch: false, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await gateway?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('lists model echo', async () => {
    const models = await openaiClient(gateway.url).models.list();
    expect(models.data.map((m) => m.id)).toContain('echo');
  });

  for (const format of ['openai', 'anthropic', 'gemini'] as const) {
    for (const stream of [false, true]) {
      it(`answers the last user message (${format} SDK, ${stream ? 'stream' : 'non-stream'})`, async () => {
        const reply = await converse(format, gateway.url, 'echo', stream);
        expect(reply.text).toBe(QUESTION);
        expect(reply.outputTokens).toBe(QUESTION.split(' ').length);
      });
    }
  }
});

describe('the opt-in plugins, configured', () => {
  let host: TestHost;
  beforeAll(async () => {
    const providers = mockProviders(mock);
    (providers[0] as { apiKeys: string[] }).apiKeys = OPENAI_KEYS;
    host = await startHost({
      managementKey: MGMT,
      providers,
      plugins: {
        dir: await bundledCopy(),
        items: {
          'long-context-router': { config: { target: 'claude-sonnet-4-6', thresholdTokens: 1000 } },
          'header-router': { config: { allow: ['anthropic/*'] } },
          'prompt-guard': {},
          'least-inflight-scheduler': {},
        },
      },
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('all load active, prompt-guard fail-closed by its package defaults', async () => {
    const list = await managedPlugins(host);
    expect(list.map((p) => p.id).sort()).toEqual(IDS);
    expect(list.every((p) => p.state === 'active')).toBe(true);
    expect(list.find((p) => p.id === 'least-inflight-scheduler')).toMatchObject({ capabilities: ['scheduler'] });
  });

  describe('long-context-router', () => {
    it('sends a long prompt to its target', async () => {
      mock.reset();
      const r = await send(host, 'openai', 'gpt-4.1', 'lorem ipsum '.repeat(500));
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-router')).toBe('long-context-router');
      expect(r.headers.get('x-switchyard-provider')).toBe('anthropic');
      expect(mock.requests.map((q) => q.model)).toEqual(['claude-sonnet-4-6']);
    });

    it('leaves a short one on the requested model', async () => {
      mock.reset();
      const r = await send(host, 'gemini', 'gemini-2.5-pro', 'a short question');
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-router')).toBeNull();
      expect(mock.requests.map((q) => q.model)).toEqual(['gemini-2.5-pro']);
    });
  });

  describe('header-router', () => {
    it('honours an allowed x-switchyard-target', async () => {
      mock.reset();
      const r = await send(host, 'openai', 'gpt-4.1', 'hi', { 'x-switchyard-target': 'anthropic/claude-sonnet-4-6' });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-router')).toBe('header-router');
      expect(r.headers.get('x-switchyard-provider')).toBe('anthropic');
      expect(mock.requests.map((q) => q.model)).toEqual(['claude-sonnet-4-6']);
    });

    it('ignores a disallowed one', async () => {
      mock.reset();
      const r = await send(host, 'openai', 'gpt-4.1', 'hi', { 'x-switchyard-target': 'gemini/gemini-2.5-pro' });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-router')).toBeNull();
      expect(mock.requests.map((q) => q.model)).toEqual(['gpt-4.1']);
    });
  });

  describe('prompt-guard', () => {
    const shapes = {
      openai: { error: { message: expect.stringContaining('(OpenAI API key)'), type: 'invalid_request_error', code: 'prompt_guard' } },
      anthropic: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('(OpenAI API key)') } },
      gemini: { error: { code: 400, message: expect.stringContaining('(OpenAI API key)'), status: 'INVALID_ARGUMENT' } },
    };
    for (const format of ['openai', 'anthropic', 'gemini'] as const) {
      it(`rejects a pasted key with 400 in the ${format} error shape, with no upstream call`, async () => {
        mock.reset();
        const r = await send(host, format, 'gpt-4.1', `deploy with ${FAKE_KEY} please`);
        expect(r.status).toBe(400);
        expect(r.json()).toEqual(shapes[format]);
        expect(r.text).not.toContain(FAKE_KEY);
        expect(r.headers.get('x-prompt-guard')).toBe('rejected');
        expect(mock.requests).toHaveLength(0);
      });
    }

    it('is raised as a readable error by the OpenAI SDK', async () => {
      const call = openaiClient(host.url).chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: FAKE_KEY }] });
      await expect(call).rejects.toMatchObject({ status: 400, code: 'prompt_guard' });
    });
  });

  describe('least-inflight-scheduler', () => {
    it('keeps an idle gateway on the first key (ties go to the first candidate)', async () => {
      mock.reset();
      for (let i = 0; i < 3; i++) expect((await send(host, 'openai', 'gpt-4.1-mini', 'hi')).status).toBe(200);
      expect(mock.requests.map((q) => q.apiKey)).toEqual(['sk-o-0', 'sk-o-0', 'sk-o-0']);
    });

    it('spreads concurrent slow requests across the keys', async () => {
      mock.reset();
      mock.fault({ format: 'openai', kind: 'slow', delayMs: 600 });
      const pending = [];
      // One at a time into flight: each pick then sees the ones before it counted in flight.
      for (let i = 1; i <= 3; i++) {
        pending.push(send(host, 'openai', 'gpt-4.1-mini', `request ${i}`));
        await mock.waitFor((requests) => requests.length >= i);
      }
      const replies = await Promise.all(pending);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(mock.requests.map((q) => q.apiKey).sort()).toEqual(OPENAI_KEYS);
      mock.clearFaults();
    });
  });
});

describe('prompt-guard with action redact, and the opt-in defaults', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startHost({
      managementKey: MGMT,
      providers: mockProviders(mock),
      plugins: { dir: await bundledCopy(), items: { 'prompt-guard': { config: { action: 'redact' } } } },
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('loads echo and the plugins with an item; the other opt-in ones stay disabled', async () => {
    const states = Object.fromEntries((await managedPlugins(host)).map((p) => [p.id, p.state]));
    expect(states).toEqual({
      echo: 'active',
      'prompt-guard': 'active',
      'header-router': 'disabled',
      'least-inflight-scheduler': 'disabled',
      'long-context-router': 'disabled',
    });
  });

  it('redacts the key and sends the request on', async () => {
    mock.reset();
    const r = await send(host, 'anthropic', 'claude-sonnet-4-6', `deploy with ${FAKE_KEY} please`);
    expect(r.status).toBe(200);
    const upstream = mock.requests[0]!;
    expect(upstream.apiKey).toBe(UPSTREAM_KEYS.anthropic);
    expect(JSON.stringify(upstream.body)).not.toContain(FAKE_KEY);
    expect(upstream.body.messages[0].content).toBe('deploy with [REDACTED] please');
    expect(upstream.headers['x-prompt-guard']).toBe('redacted');
  });
});

describe('prompt-guard misconfigured', () => {
  let host: TestHost;
  beforeAll(async () => {
    // No failClosed in the item: the package's own defaults make the guard fail closed.
    host = await startHost({
      providers: mockProviders(mock),
      plugins: { dir: await bundledCopy(), items: { 'prompt-guard': { config: { patterns: ['(unclosed'] } } } },
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('fails requests with 503 rather than letting them out unchecked', async () => {
    mock.reset();
    const r = await send(host, 'openai', 'gpt-4.1', 'an innocent question');
    expect(r.status).toBe(503);
    expect(r.json().error.message).toContain('prompt-guard');
    expect(mock.requests).toHaveLength(0);
  });
});
