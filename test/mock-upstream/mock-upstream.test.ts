/**
 * Self-tests of the mock upstream over plain `fetch`: wire shapes and SSE framing of each format,
 * the reply rules, recording, and every fault kind.
 */

import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockFormat, type MockUpstream } from './index.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

const AUTH: Record<MockFormat, Record<string, string>> = {
  openai: { authorization: 'Bearer sk-openai' },
  anthropic: { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' },
  gemini: { 'x-goog-api-key': 'sk-gem' },
};

function post(format: MockFormat, path: string, body: unknown, headers = AUTH[format], signal?: AbortSignal) {
  return fetch(`${mock.baseUrl(format)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** Splits an SSE body into events, checking each one is well framed. */
function sse(text: string, eol = '\n'): { event?: string; data: string }[] {
  expect(text.endsWith(eol + eol)).toBe(true);
  return text
    .split(eol + eol)
    .filter(Boolean)
    .map((block) => {
      const lines = block.split(eol);
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '';
      return event === undefined ? { data } : { event, data };
    });
}

/** Reads a body until it ends or breaks, returning what arrived and whether it broke. */
async function drain(res: Response): Promise<{ text: string; broke: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
    return { text, broke: false };
  } catch {
    return { text, broke: true };
  }
}

const TOOLS = {
  openai: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
  anthropic: [{ name: 'lookup', input_schema: { type: 'object' } }],
  gemini: [{ functionDeclarations: [{ name: 'lookup' }] }],
};

describe('openai', () => {
  const base = { model: 'gpt-4.1', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }] };

  it('answers a completion and records the request', async () => {
    const res = await post('openai', '/chat/completions', base);
    const body = await res.json();
    expect(body).toMatchObject({ id: 'chatcmpl-mock-1', object: 'chat.completion', model: 'gpt-4.1' });
    expect(body.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '[openai:gpt-4.1] hello there' } });
    expect(body.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    expect(mock.requests[0]).toMatchObject({ format: 'openai', path: '/openai/v1/chat/completions', apiKey: 'sk-openai', model: 'gpt-4.1', stream: false, body: base, finished: true, aborted: false });
  });

  it('streams word chunks, a usage chunk and [DONE]', async () => {
    const res = await post('openai', '/chat/completions', { ...base, stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sse(await res.text());
    expect(events.every((e) => e.event === undefined)).toBe(true);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-mock-1')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('[openai:gpt-4.1] hello there');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(3);
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 3 } });
  });

  it('calls the first tool, streamed in argument pieces', async () => {
    const body = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'weather in Paris' }], tools: TOOLS.openai };
    const call = (await (await post('openai', '/chat/completions', body)).json()).choices[0];
    expect(call.finish_reason).toBe('tool_calls');
    expect(call.message.tool_calls).toEqual([{ id: 'call_mock_1', type: 'function', function: { name: 'lookup', arguments: '{"query":"weather in Paris"}' } }]);
    const events = sse(await (await post('openai', '/chat/completions', { ...body, stream: true })).text());
    const deltas = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]);
    expect(deltas[0].delta.tool_calls[0]).toMatchObject({ index: 0, id: 'call_mock_1', function: { name: 'lookup' } });
    const pieces = deltas.flatMap((d) => d.delta.tool_calls ?? []).map((t) => t.function.arguments).filter(Boolean);
    expect(pieces.length).toBe(2);
    expect(pieces.join('')).toBe('{"query":"weather in Paris"}');
    expect(deltas.at(-1).finish_reason).toBe('tool_calls');
  });

  it('echoes a tool result', async () => {
    const messages = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_mock_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_mock_1', content: 'sunny' },
    ];
    const body = await (await post('openai', '/chat/completions', { model: 'gpt-4.1', messages, tools: TOOLS.openai })).json();
    expect(body.choices[0].message.content).toBe('tool result: sunny');
  });

  it('lists models and rejects bad requests in its error shape', async () => {
    const list = await (await fetch(`${mock.baseUrl('openai')}/models`, { headers: AUTH.openai })).json();
    expect(list).toMatchObject({ object: 'list', data: [{ id: 'gpt-4.1', object: 'model', owned_by: 'openai' }, { id: 'gpt-4.1-mini' }] });
    const noKey = await post('openai', '/chat/completions', base, {});
    expect(noKey.status).toBe(401);
    expect((await noKey.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect((await post('openai', '/chat/completions', '{nope')).status).toBe(400);
    expect((await post('openai', '/nowhere', {})).status).toBe(404);
  });
});

describe('anthropic', () => {
  const base = { model: 'claude-sonnet-4-6', max_tokens: 100, system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }] };

  it('answers a message', async () => {
    const res = await post('anthropic', '/messages', base);
    expect(await res.json()).toMatchObject({
      id: 'msg_mock_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', stop_reason: 'end_turn', stop_sequence: null,
      content: [{ type: 'text', text: '[anthropic:claude-sonnet-4-6] hello there' }],
      usage: { input_tokens: 4, output_tokens: 3 },
    });
  });

  it('streams named events in the real order', async () => {
    const events = sse(await (await post('anthropic', '/messages', { ...base, stream: true })).text());
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data[0].message).toMatchObject({ id: 'msg_mock_1', content: [], usage: { input_tokens: 4 } });
    expect(data.filter((d) => d.type === 'content_block_delta').map((d) => d.delta.text).join('')).toBe('[anthropic:claude-sonnet-4-6] hello there');
    expect(data[7]).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } });
  });

  it('calls a tool with input_json_delta pieces and echoes its result', async () => {
    const body = { ...base, tools: TOOLS.anthropic };
    const msg = await (await post('anthropic', '/messages', body)).json();
    expect(msg).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', id: 'toolu_mock_1', name: 'lookup', input: { query: 'hello there' } }] });
    const data = sse(await (await post('anthropic', '/messages', { ...body, stream: true })).text()).map((e) => JSON.parse(e.data));
    expect(data[1].content_block).toEqual({ type: 'tool_use', id: 'toolu_mock_1', name: 'lookup', input: {} });
    const pieces = data.filter((d) => d.delta?.type === 'input_json_delta').map((d) => d.delta.partial_json);
    expect(pieces.length).toBe(2);
    expect(JSON.parse(pieces.join(''))).toEqual({ query: 'hello there' });
    const messages = [...base.messages, { role: 'assistant', content: [msg.content[0]] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_mock_1', content: [{ type: 'text', text: 'sunny' }] }] }];
    const reply = await (await post('anthropic', '/messages', { ...body, messages })).json();
    expect(reply.content).toEqual([{ type: 'text', text: 'tool result: sunny' }]);
  });

  it('counts tokens, lists models, requires anthropic-version', async () => {
    expect(await (await post('anthropic', '/messages/count_tokens', base)).json()).toEqual({ input_tokens: 4 });
    const list = await (await fetch(`${mock.baseUrl('anthropic')}/models`, { headers: AUTH.anthropic })).json();
    expect(list).toMatchObject({ has_more: false, first_id: 'claude-sonnet-4-6', last_id: 'claude-haiku-4-5', data: [{ type: 'model', id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6' }, {}] });
    const noVersion = await post('anthropic', '/messages', base, { 'x-api-key': 'k' });
    expect(noVersion.status).toBe(400);
    expect((await noVersion.json()).error.type).toBe('invalid_request_error');
    const noKey = await post('anthropic', '/messages', base, { 'anthropic-version': '2023-06-01' });
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });
});

describe('gemini', () => {
  const base = { systemInstruction: { parts: [{ text: 'be brief' }] }, contents: [{ role: 'user', parts: [{ text: 'hello there' }] }] };
  const TEXT = '[gemini:gemini-2.5-flash] hello there';

  it('generates content; key may come from ?key=', async () => {
    const res = await post('gemini', '/models/gemini-2.5-flash:generateContent?key=sk-q', base, {});
    expect(await res.json()).toEqual({
      candidates: [{ content: { parts: [{ text: TEXT }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 7, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }] },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'mock-1',
    });
    expect(mock.requests[0]).toMatchObject({ apiKey: 'sk-q', model: 'gemini-2.5-flash', query: { key: 'sk-q' }, path: '/gemini/v1beta/models/gemini-2.5-flash:generateContent' });
  });

  it('streams SSE with CRLF framing, or a JSON array without alt=sse', async () => {
    const res = await post('gemini', '/models/gemini-2.5-flash:streamGenerateContent?alt=sse', base);
    const items = sse(await res.text(), '\r\n').map((e) => JSON.parse(e.data));
    expect(items.map((i) => i.candidates[0].content.parts[0].text).join('')).toBe(TEXT);
    expect(items.slice(0, -1).every((i) => i.usageMetadata === undefined && i.candidates[0].finishReason === undefined)).toBe(true);
    expect(items.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { totalTokenCount: 7 } });
    expect(mock.requests[0]!.stream).toBe(true);
    const array = JSON.parse(await (await post('gemini', '/models/gemini-2.5-flash:streamGenerateContent', base)).text());
    expect(array).toHaveLength(3);
  });

  it('calls a function and echoes its response', async () => {
    const body = { ...base, tools: TOOLS.gemini };
    const first = await (await post('gemini', '/models/gemini-2.5-pro:generateContent', body)).json();
    expect(first.candidates[0].content.parts).toEqual([{ functionCall: { id: 'call_mock_1', name: 'lookup', args: { query: 'hello there' } } }]);
    const contents = [...base.contents, first.candidates[0].content, { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { output: 'sunny' } } }] }];
    const next = await (await post('gemini', '/models/gemini-2.5-pro:generateContent', { ...body, contents })).json();
    expect(next.candidates[0].content.parts).toEqual([{ text: 'tool result: sunny' }]);
  });

  it('counts tokens, lists models, answers errors in its shape', async () => {
    expect(await (await post('gemini', '/models/gemini-2.5-flash:countTokens', { contents: base.contents })).json()).toMatchObject({ totalTokens: 2 });
    const list = await (await fetch(`${mock.baseUrl('gemini')}/models`, { headers: AUTH.gemini })).json();
    expect(list.models[0]).toMatchObject({ name: 'models/gemini-2.5-pro', displayName: 'Gemini 2.5 Pro', supportedGenerationMethods: expect.arrayContaining(['generateContent']) });
    const noKey = await post('gemini', '/models/gemini-2.5-flash:generateContent', base, {});
    expect(await noKey.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });
});

describe('faults', () => {
  const chat = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'one two three four' }] };

  it('status: filters match, Retry-After is sent, times runs out', async () => {
    mock.fault({ kind: 'status', status: 429, retryAfter: '2', model: 'gpt-4.1', times: 1 });
    expect((await post('openai', '/chat/completions', { ...chat, model: 'gpt-4.1-mini' })).status).toBe(200);
    const res = await post('openai', '/chat/completions', chat);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).error).toMatchObject({ message: 'mock fault 429', code: 'rate_limit_exceeded' });
    expect((await post('openai', '/chat/completions', chat)).status).toBe(200);
    mock.fault({ kind: 'status', status: 529, format: 'anthropic', message: 'busy' });
    const ant = await post('anthropic', '/messages', { model: 'c', max_tokens: 5, messages: [] });
    expect(await ant.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'busy' } });
  });

  it('slow: delays the headers and each chunk', async () => {
    mock.fault({ kind: 'slow', delayMs: 60 });
    let start = Date.now();
    await (await post('openai', '/chat/completions', chat)).json();
    expect(Date.now() - start).toBeGreaterThanOrEqual(55);
    start = Date.now();
    await (await post('openai', '/chat/completions', { ...chat, stream: true })).text();
    expect(Date.now() - start).toBeGreaterThanOrEqual(55 * 7);
  });

  it('reset: the connection drops with no response', async () => {
    mock.fault({ kind: 'reset', key: 'sk-openai', times: 1 });
    await expect(post('openai', '/chat/completions', chat)).rejects.toThrow();
    expect(mock.requests[0]).toMatchObject({ aborted: false, finished: false });
  });

  it('cut: a stream breaks after N events, a JSON body halfway', async () => {
    mock.fault({ kind: 'cut', afterChunks: 3, times: 1 });
    const res = await post('openai', '/chat/completions', { ...chat, stream: true });
    expect(res.status).toBe(200);
    const { text, broke } = await drain(res);
    expect(broke).toBe(true);
    expect(sse(text)).toHaveLength(3);
    mock.fault({ kind: 'cut', times: 1 });
    const { text: half, broke: brokeToo } = await drain(await post('gemini', '/models/m:generateContent', { contents: [{ parts: [{ text: 'hi' }] }] }));
    expect(brokeToo).toBe(true);
    expect(half.length).toBeGreaterThan(0);
    expect(() => JSON.parse(half)).toThrow();
  });

  it('hang: the client gives up, the request is marked aborted', async () => {
    mock.fault({ kind: 'hang' });
    await expect(post('openai', '/chat/completions', chat, AUTH.openai, AbortSignal.timeout(100))).rejects.toThrow();
    const streaming = new AbortController();
    const res = await post('anthropic', '/messages', { model: 'c', max_tokens: 5, stream: true, messages: [] }, AUTH.anthropic, streaming.signal);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    streaming.abort();
    await mock.waitFor((r) => r.length === 2 && r.every((x) => x.aborted && !x.finished));
  });
});

describe('connections', () => {
  // node:http without an agent, because fetch's pool opens a spare socket after an abort.
  it('counts open sockets and frees them when the client aborts', async () => {
    const own = await startMockUpstream({ chunkDelayMs: 1 });
    try {
      own.fault({ kind: 'hang' });
      const req = request(`${own.baseUrl('openai')}/models`, { agent: false, headers: AUTH.openai });
      req.on('error', () => {});
      req.end();
      await own.waitFor((r) => r.length === 1);
      expect(own.openConnections()).toBe(1);
      req.destroy();
      await own.waitFor((r) => r[0]!.aborted && own.openConnections() === 0);
      expect(own.requests[0]!.finished).toBe(false);
    } finally {
      await own.close();
    }
  });
});
