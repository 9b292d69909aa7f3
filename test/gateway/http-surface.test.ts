/**
 * The HTTP surface in each client format: auth, bad bodies, unknown models, body limit,
 * listings, response headers.
 */
import { describe, expect, it } from 'vitest';
import { anthropicClient, geminiClient, openaiClient } from '../helpers/clients.js';
import { CLIENT_KEY, UPSTREAM_KEYS, useGateway } from '../helpers/host.js';

const gateway = useGateway({ limits: { bodyBytes: 4096 } });

type Shape = 'openai' | 'anthropic' | 'gemini';
const ENDPOINTS: { format: Shape; path: string; body: Record<string, unknown> }[] = [
  { format: 'openai', path: '/v1/chat/completions', body: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] } },
  { format: 'anthropic', path: '/v1/messages', body: { model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } },
  { format: 'gemini', path: '/v1beta/models/gpt-4.1:generateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } },
];

async function post(path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${CLIENT_KEY}` }) {
  const res = await fetch(`${gateway.host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

/** Asserts `json` is `format`'s error shape and returns its message. */
function errorMessage(format: Shape, json: Record<string, any>, status: number): string {
  if (format === 'openai') {
    expect(json.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
    return json.error.message;
  }
  if (format === 'anthropic') {
    expect(json).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    return json.error.message;
  }
  expect(json.error).toMatchObject({ code: status, message: expect.any(String), status: expect.any(String) });
  return json.error.message;
}

describe.each(ENDPOINTS)('$format errors', ({ format, path, body }) => {
  it('401 without a key, in the endpoint format', async () => {
    const r = await post(path, body, {});
    expect(r.status).toBe(401);
    expect(errorMessage(format, r.json, 401)).toMatch(/missing api key/i);
  });

  it('401 with a wrong key, in the endpoint format', async () => {
    const r = await post(path, body, { 'x-api-key': 'sk-wrong' });
    expect(r.status).toBe(401);
    expect(errorMessage(format, r.json, 401)).toMatch(/invalid api key/i);
  });

  it('400 for invalid JSON', async () => {
    const r = await post(path, '{"model": ');
    expect(r.status).toBe(400);
    expect(errorMessage(format, r.json, 400)).toMatch(/invalid JSON/);
  });

  it('400 naming the field of a wrong type', async () => {
    const bad = format === 'gemini' ? { contents: 'nope' } : { ...body, messages: 'nope' };
    const r = await post(path, bad);
    expect(r.status).toBe(400);
    expect(errorMessage(format, r.json, 400)).toMatch(format === 'gemini' ? /^contents/ : /^messages/);
  });

  it('404 model_not_found for an unknown model', async () => {
    const r = await post(path.replace('gpt-4.1', 'no-such-model'), { ...body, model: body.model && 'no-such-model' });
    expect(r.status).toBe(404);
    expect(errorMessage(format, r.json, 404)).toContain('no-such-model');
    if (format === 'openai') expect(r.json.error.code).toBe('model_not_found');
  });

  it('413 for a body over the limit', async () => {
    const r = await post(path, { ...body, padding: 'x'.repeat(8192) });
    expect(r.status).toBe(413);
    errorMessage(format, r.json, 413);
  });
});

describe('listings', () => {
  it('OpenAI list through the openai SDK', async () => {
    const ids = [];
    for await (const m of openaiClient(gateway.host.url).models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4.1', 'gpt-4.1-mini', 'claude-sonnet-4-6', 'gemini-2.5-pro']));
  });

  it('Anthropic list through the anthropic SDK (anthropic-version header)', async () => {
    const ids = [];
    for await (const m of anthropicClient(gateway.host.url).models.list()) {
      expect(m.type).toBe('model');
      ids.push(m.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['gpt-4.1', 'claude-sonnet-4-6', 'gemini-2.5-pro']));
  });

  it('Gemini list through the genai SDK', async () => {
    const names = [];
    for await (const m of await geminiClient(gateway.host.url).models.list()) names.push(m.name);
    expect(names).toEqual(expect.arrayContaining(['models/gpt-4.1', 'models/claude-sonnet-4-6', 'models/gemini-2.5-pro']));
  });

  it('401 on listings without a key', async () => {
    expect((await fetch(`${gateway.host.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${gateway.host.url}/v1beta/models`)).status).toBe(401);
  });
});

describe('proxied responses', () => {
  it('carry the switchyard headers and never a secret', async () => {
    gateway.mock.reset();
    const r = await post('/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-provider')).toBe('anthropic');
    expect(r.headers.get('x-switchyard-model')).toBe('claude-sonnet-4-6');
    expect(r.headers.get('x-switchyard-credential')).toBe('anthropic#0');
    expect(r.headers.get('x-switchyard-attempts')).toBe('1');
    expect(r.headers.get('x-switchyard-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(r.headers.get('x-switchyard-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const all = JSON.stringify([...r.headers.entries()]) + JSON.stringify(r.json);
    for (const secret of [...Object.values(UPSTREAM_KEYS), CLIENT_KEY]) expect(all).not.toContain(secret);
  });

  it('provider-qualified model names pick that provider', async () => {
    gateway.mock.reset();
    const r = await post('/v1/chat/completions', { model: 'gemini/gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-provider')).toBe('gemini');
    expect(gateway.mock.requests[0]!.model).toBe('gemini-2.5-pro');
  });

  it('name what a translation could not carry in x-switchyard-dropped', async () => {
    const r = await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_object' },
      seed: 7,
    });
    expect(r.status).toBe(200);
    // Anthropic has no structured-output setting: the IR's responseFormat is reported, as is the unmodelled seed.
    expect(r.headers.get('x-switchyard-dropped')?.split(',')).toEqual(expect.arrayContaining(['responseFormat', 'seed']));
  });

  it('pass same-format fields through untouched', async () => {
    gateway.mock.reset();
    const r = await post('/v1/chat/completions', { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], seed: 7 });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-dropped')).toBeNull();
    expect(gateway.mock.requests[0]!.body.seed).toBe(7);
  });

  it('send a same-format body upstream byte for byte, re-serialised only when the model changes', async () => {
    gateway.mock.reset();
    const text = '{ "model": "gpt-4.1",\n  "messages": [{"role": "user", "content": "caf\\u00e9"}], "seed": 7 }';
    expect((await post('/v1/chat/completions', text)).status).toBe(200);
    expect(gateway.mock.requests[0]!.rawBody).toBe(text);

    gateway.mock.reset();
    expect((await post('/v1/chat/completions', text.replace('"gpt-4.1"', '"openai/gpt-4.1"'))).status).toBe(200);
    expect(JSON.parse(gateway.mock.requests[0]!.rawBody)).toEqual({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'café' }], seed: 7 });
  });

  it('healthz answers without a key', async () => {
    const res = await fetch(`${gateway.host.url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
