/**
 * The Responses API in and out, through the official `openai` SDK: `responses.create` (stream
 * and not) and the `responses.stream()` helper from the Responses format into every upstream
 * type, every client format into an `openai-responses` upstream, tool call round trips, stored
 * conversations (`previous_response_id`, GET, DELETE, owned by the client key), a cut stream
 * ending with `response.failed`, and input token counts.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const OTHER_KEY = 'sk-client-other';
let mock: MockUpstream;
let host: TestHost;
beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    apiKeys: [CLIENT_KEY, OTHER_KEY],
    retry: { requestRetry: 0 },
    providers: [...mockProviders(mock), { name: 'oresp', type: 'openai-responses', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-resp'], models: ['gpt-resp'] }],
  });
});
afterEach(() => mock.reset());
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

/** The text of a Response's message items (the stream helper's final Response has no `output_text`). */
const textOf = (response: { output: { type: string; content?: { type: string; text?: string }[] }[] }) =>
  response.output.flatMap((item) => (item.type === 'message' ? (item.content ?? []).map((c) => c.text ?? '') : [])).join('');
const client = (apiKey = CLIENT_KEY) => new OpenAI({ baseURL: `${host.url}/v1`, apiKey, maxRetries: 0 });
const MODELS = ['gpt-4.1', 'claude-sonnet-4-6', 'gemini-2.5-pro', 'gpt-resp'];
const tool = { type: 'function' as const, name: 'lookup', description: 'Look something up', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] }, strict: false };

describe.each(MODELS)('Responses client into %s', (model) => {
  it('answers responses.create with instructions, history and usage', async () => {
    const res = await client().responses.create({
      model,
      instructions: 'Be terse.',
      input: [
        { role: 'user', content: 'Hi there' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is the capital of France?' }] },
      ],
    });
    expect(res.status).toBe('completed');
    expect(res.output_text).toContain('What is the capital of France?');
    expect(res.usage!.input_tokens).toBeGreaterThan(0);
    expect(res.usage!.output_tokens).toBeGreaterThan(0);
  });

  it('streams through the SDK helper to a final response', async () => {
    const stream = client().responses.stream({ model, input: 'Stream me please' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(textOf(final)).toContain('Stream me please');
    expect(final.status).toBe('completed');
    expect(final.usage!.output_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  it('runs a tool call round trip', async () => {
    const first = await client().responses.create({ model, input: 'Find the weather', tools: [tool] });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'lookup' });
    const callItem = call as { call_id: string; name: string; arguments: string };
    expect(JSON.parse(callItem.arguments)).toEqual({ query: 'Find the weather' });
    const second = await client().responses.create({
      model,
      tools: [tool],
      store: false,
      input: [
        { role: 'user', content: 'Find the weather' },
        { type: 'function_call', call_id: callItem.call_id, name: callItem.name, arguments: callItem.arguments },
        { type: 'function_call_output', call_id: callItem.call_id, output: 'sunny, 21C' },
      ],
    });
    expect(second.output_text).toContain('tool result: sunny, 21C');
  });
});

describe('every client format into an openai-responses upstream', () => {
  it('OpenAI Chat, Anthropic and Gemini clients reach {base}/responses', async () => {
    const chat = await client().chat.completions.create({ model: 'gpt-resp', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'chat in' }] });
    expect(chat.choices[0]!.message.content).toContain('chat in');
    const anthropic = await fetch(`${host.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt-resp', max_tokens: 64, messages: [{ role: 'user', content: 'anthropic in' }] }),
    });
    expect(((await anthropic.json()) as { content: { text: string }[] }).content[0]!.text).toContain('anthropic in');
    const gemini = await fetch(`${host.url}/v1beta/models/gpt-resp:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'gemini in' }] }] }),
    });
    expect(JSON.stringify(await gemini.json())).toContain('gemini in');
    expect(mock.requests.map((r) => r.path)).toEqual(['/openai/v1/responses', '/openai/v1/responses', '/openai/v1/responses']);
    expect(mock.requests[0]!.body.instructions).toBe('sys');
  });

  it('a Chat client streams from a Responses upstream', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-resp', stream: true, messages: [{ role: 'user', content: 'streamed from responses' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toContain('streamed from responses');
  });
});

describe('stored conversations', () => {
  it('previous_response_id expands the earlier turn before the new input, whatever the upstream', async () => {
    for (const model of ['gpt-4.1', 'claude-sonnet-4-6', 'gpt-resp']) {
      mock.reset();
      const first = await client().responses.create({ model, input: 'My name is Ada.' });
      const second = await client().responses.create({ model, previous_response_id: first.id, input: 'What is my name?' });
      expect(second.output_text).toContain('What is my name?');
      const sent = JSON.stringify(mock.requests[1]!.body);
      expect(sent).toContain('My name is Ada.');
      expect(sent).toContain(first.output_text);
      expect(sent).not.toContain('previous_response_id');
    }
  });

  it('serves GET and DELETE for the client key that made a response, and no one else', async () => {
    const made = await client().responses.create({ model: 'gpt-4.1', input: 'keep me' });
    expect((await client().responses.retrieve(made.id)).output_text).toBe(made.output_text);
    await expect(client(OTHER_KEY).responses.retrieve(made.id)).rejects.toMatchObject({ status: 404 });
    await expect(client(OTHER_KEY).responses.create({ model: 'gpt-4.1', previous_response_id: made.id, input: 'steal' })).rejects.toMatchObject({
      status: 400,
      code: 'previous_response_not_found',
    });
    const del = await fetch(`${host.url}/v1/responses/${made.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(await del.json()).toEqual({ id: made.id, object: 'response.deleted', deleted: true });
    await expect(client().responses.retrieve(made.id)).rejects.toMatchObject({ status: 404 });
  });

  it('store: false keeps nothing, and an unknown id is previous_response_not_found', async () => {
    const unstored = await client().responses.create({ model: 'gpt-4.1', input: 'forget me', store: false });
    await expect(client().responses.create({ model: 'gpt-4.1', previous_response_id: unstored.id, input: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 'previous_response_not_found',
    });
  });

  it('a continuation survives a failover to another credential', async () => {
    const twoKeys = await startHost({
      routing: { strategy: 'fill-first' },
      providers: [{ name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-first', 'sk-second'], models: ['gpt-4.1'] }],
    });
    try {
      const api = new OpenAI({ baseURL: `${twoKeys.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const first = await api.responses.create({ model: 'gpt-4.1', input: 'Remember the word teal.' });
      expect(mock.requests.at(-1)!.apiKey).toBe('sk-first');
      mock.fault({ key: 'sk-first', kind: 'status', status: 500, times: 1 });
      const second = await api.responses.create({ model: 'gpt-4.1', previous_response_id: first.id, input: 'Which word?' });
      expect(second.status).toBe('completed');
      const served = mock.requests.at(-1)!;
      expect(served.apiKey).toBe('sk-second');
      expect(JSON.stringify(served.body)).toContain('Remember the word teal.');
    } finally {
      await twoKeys.close();
    }
  });

  it('a conversation goes on after a restart: its first turn kept as the client sent it, a continued one with its history', async () => {
    const own = await startHost({ providers: mockProviders(mock) });
    try {
      const api = () => new OpenAI({ baseURL: `${own.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const first = await api().responses.create({ model: 'gpt-4.1', instructions: 'Be brief.', input: 'My name is Ada.' });
      const second = await api().responses.create({ model: 'gpt-4.1', previous_response_id: first.id, input: 'I live in Paris.' });
      await own.restart();
      await api().responses.create({ model: 'gpt-4.1', previous_response_id: second.id, input: 'Where do I live?' });
      const sent = JSON.stringify(mock.requests.at(-1)!.body);
      for (const turn of ['My name is Ada.', first.output_text, 'I live in Paris.', second.output_text, 'Where do I live?']) expect(sent).toContain(turn);
      // Its instructions are not carried over.
      expect(sent).not.toContain('Be brief.');
      const folder = join(own.dir, 'auths', 'responses');
      const lines = (await Promise.all((await readdir(folder)).map((name) => readFile(join(folder, name), 'utf8')))).join('').trimEnd().split('\n');
      expect(lines.find((line) => line.includes(first.id))).toMatch(/"request":\{.*"instructions":"Be brief\."/);
      expect(lines.find((line) => line.includes(`"id":"${second.id}"`))).toContain('"input":[');
    } finally {
      await own.close();
    }
  });

  it('a streamed answer is stored too', async () => {
    const final = await client().responses.stream({ model: 'claude-sonnet-4-6', input: 'streamed turn' }).finalResponse();
    const next = await client().responses.create({ model: 'claude-sonnet-4-6', previous_response_id: final.id, input: 'next turn' });
    expect(next.status).toBe('completed');
    expect(JSON.stringify(mock.requests.at(-1)!.body)).toContain('streamed turn');
  });
});

describe('reasoning encrypted for another key', () => {
  it('is stripped and the call made once more when the upstream refuses it, and reported dropped', async () => {
    mock.fault({
      model: 'gpt-resp',
      kind: 'status',
      status: 400,
      times: 1,
      body: { error: { message: 'The encrypted content for item rs_1 could not be verified.', type: 'invalid_request_error', param: null, code: 'invalid_encrypted_content' } },
    });
    const res = await fetch(`${host.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({
        model: 'gpt-resp',
        store: false,
        input: [
          { role: 'user', content: 'first' },
          { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thought about it' }], encrypted_content: 'opaque-blob-from-another-key' },
          { role: 'assistant', content: 'answer one' },
          { role: 'user', content: 'second' },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-dropped')).toContain('reasoning.encrypted_content');
    expect(res.headers.get('x-switchyard-credential')).toBe('oresp#0');
    expect(mock.requests).toHaveLength(2);
    expect(mock.requests[0]!.rawBody).toContain('opaque-blob-from-another-key');
    expect(mock.requests[1]!.rawBody).not.toContain('opaque-blob-from-another-key');
    expect(mock.requests[1]!.rawBody).toContain('thought about it');
  });
});

describe('images', () => {
  it.each(MODELS)('an input_image reaches %s', async (model) => {
    const res = await client().responses.create({
      model,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' }] }],
    });
    expect(res.status).toBe('completed');
    expect(JSON.stringify(mock.requests.at(-1)!.body)).toContain('iVBORw0KGgo=');
  });
});

describe('what a translation cannot carry', () => {
  it('built-in tools pass through to a Responses upstream and are reported dropped elsewhere', async () => {
    const body = { input: 'search the web', tools: [{ type: 'web_search' }, tool] };
    const same = await fetch(`${host.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-resp', ...body }),
    });
    expect(same.headers.get('x-switchyard-dropped')).toBeNull();
    expect(mock.requests.at(-1)!.body.tools).toEqual(body.tools);
    const other = await fetch(`${host.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1', ...body }),
    });
    expect(other.headers.get('x-switchyard-dropped')).toContain('tools[].type=web_search');
    expect(mock.requests.at(-1)!.body.tools).toHaveLength(1);
  });

  it('an image from a Chat client reaches a Responses upstream as input_image', async () => {
    await client().chat.completions.create({
      model: 'gpt-resp',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    expect(mock.requests.at(-1)!.body.input[0].content).toContainEqual(expect.objectContaining({ type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' }));
  });
});

describe('failures', () => {
  it('a stream cut after its first byte ends with response.failed, never response.completed', async () => {
    mock.fault({ model: 'gpt-4.1', kind: 'cut', afterChunks: 3 });
    const res = await fetch(`${host.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1', input: 'a long answer that will be cut short somewhere', stream: true }),
    });
    const text = await res.text();
    expect(text).toContain('event: response.created');
    expect(text).toContain('event: response.failed');
    expect(text).not.toContain('response.completed');
  });

  it('errors come in the OpenAI shape', async () => {
    await expect(client().responses.create({ model: 'no-such-model', input: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

describe('input token counts', () => {
  it('count through the same path, the upstream counting where it can', async () => {
    const res = await fetch(`${host.url}/v1/responses/input_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-resp', input: 'count these four words' }),
    });
    expect(await res.json()).toEqual({ object: 'response.input_tokens', input_tokens: 4 });
  });
});
