import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { UpstreamStreamError, type WireEvent } from '../wire-format.js';
import { sampleStream } from '../contract.test-suite.js';
import type { IRStreamEvent } from '../ir.js';
import { openaiFormat } from './index.js';
import { chunkSchema, isTextChunk } from './schema.js';

/** Feeds raw `data:` payloads (objects are JSON-encoded) through a fresh decoder. */
function decodeAll(datas: unknown[]): IRStreamEvent[] {
  const decoder = openaiFormat.createStreamDecoder();
  return datas.flatMap((d) => decoder.decode({ data: typeof d === 'string' ? d : JSON.stringify(d) }));
}

const head = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1694268190, model: 'gpt-4o-mini', system_fingerprint: 'fp_1' };
const chunk = (delta: object, finish_reason: string | null = null) => ({
  ...head,
  choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  usage: null,
});
const usageChunk = { ...head, choices: [], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21, prompt_tokens_details: { cached_tokens: 0 } } };

describe('openai stream decoder', () => {
  it('decodes a text stream with the include_usage final chunk', () => {
    expect(
      decodeAll([
        chunk({ role: 'assistant', content: '', refusal: null }),
        chunk({ content: 'Hello' }),
        chunk({ content: ' there' }),
        chunk({}, 'stop'),
        usageChunk,
        '[DONE]',
      ]),
    ).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o-mini' },
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ' there' },
      { type: 'finish', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 12, cachedInputTokens: 0 } },
    ]);
  });

  it('decodes parallel tool calls after an Azure prompt-filter chunk', () => {
    const azureFilter = { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] };
    const call = (index: number, fn: object, id?: string) => chunk({ tool_calls: [{ index, ...(id && { id, type: 'function' }), function: fn }] });
    expect(
      decodeAll([
        azureFilter,
        chunk({ role: 'assistant', content: null }),
        call(0, { name: 'get_weather', arguments: '' }, 'call_a'),
        call(0, { arguments: '{"city":' }),
        call(0, { arguments: '"Oslo"}' }),
        call(1, { name: 'get_weather', arguments: '' }, 'call_b'),
        call(1, { arguments: '{"city":"Rome"}' }),
        chunk({}, 'tool_calls'),
        usageChunk,
        '[DONE]',
      ]),
    ).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o-mini' },
      { type: 'tool_call_start', index: 0, id: 'call_a', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Oslo"}' },
      { type: 'tool_call_start', index: 1, id: 'call_b', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 12, cachedInputTokens: 0 } },
    ]);
  });

  it('separates whole tool calls that reuse index 0 with new ids', () => {
    const whole = (id: string) => chunk({ tool_calls: [{ index: 0, id, type: 'function', function: { name: 'f', arguments: '{}' } }] });
    const starts = decodeAll([whole('x'), whole('y'), chunk({}, 'tool_calls')]).filter((e) => e.type === 'tool_call_start');
    expect(starts).toEqual([
      { type: 'tool_call_start', index: 0, id: 'x', name: 'f' },
      { type: 'tool_call_start', index: 1, id: 'y', name: 'f' },
    ]);
  });

  it('decodes DeepSeek reasoning_content with usage on the finish chunk, once', () => {
    const finish = { ...chunk({ content: '' }, 'stop'), usage: { prompt_tokens: 3, completion_tokens: 4, prompt_cache_hit_tokens: 1 } };
    expect(
      decodeAll([
        chunk({ role: 'assistant', content: null, reasoning_content: '' }),
        chunk({ content: null, reasoning_content: 'Think' }),
        chunk({ content: 'Done', reasoning_content: null }),
        finish,
        '',
        '[DONE]',
      ]),
    ).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o-mini' },
      { type: 'thinking', text: 'Think' },
      { type: 'text', text: 'Done' },
      { type: 'finish', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4, cachedInputTokens: 1 } },
    ]);
  });

  it('keeps only the latest running usage and emits it at [DONE]', () => {
    const running = (n: number) => ({ ...chunk({ content: 'x' }), usage: { prompt_tokens: 2, completion_tokens: n } });
    const usage = decodeAll([running(1), running(2), chunk({}, 'length'), '[DONE]']).filter((e) => e.type === 'usage');
    expect(usage).toEqual([{ type: 'usage', usage: { inputTokens: 2, outputTokens: 2 } }]);
  });

  it('throws UpstreamStreamError on an error event, with the status proxies attach', () => {
    const decoder = openaiFormat.createStreamDecoder();
    decoder.decode({ data: JSON.stringify(chunk({ content: 'Hi' })) });
    const error = { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } };
    expect(() => decoder.decode({ data: JSON.stringify(error) })).toThrow(new UpstreamStreamError('The server had an error'));
    try {
      decodeAll([{ error: { code: 502, message: 'Provider returned error' } }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ name: 'UpstreamStreamError', message: 'Provider returned error', status: 502 });
    }
    expect(() => decodeAll(['{not json'])).toThrow(UpstreamStreamError);
    expect(() => openaiFormat.createStreamDecoder().decode({ event: 'error', data: 'overloaded' })).toThrow('overloaded');
  });
});

/** Serialises wire events as the HTTP layer writes them. */
function sse(events: WireEvent[]): string {
  return events.map((e) => `data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`).join('');
}

/** An SDK client whose upstream answers with `body` as an event stream. */
function sdkStreaming(body: string): OpenAI {
  return new OpenAI({
    apiKey: 'k',
    baseURL: 'http://gateway.test/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
  });
}

describe('openai stream encoder', () => {
  it('produces a stream the SDK accumulates into a complete completion', async () => {
    const encoder = openaiFormat.createStreamEncoder();
    const wire = [...sampleStream.flatMap((e) => encoder.encode(e)), ...encoder.end()];
    expect(wire.at(-1)).toEqual({ data: '[DONE]' });
    const stream = sdkStreaming(sse(wire)).chat.completions.stream({ model: 'm', messages: [], stream_options: { include_usage: true } });
    const completion = await stream.finalChatCompletion();
    expect(completion).toMatchObject({
      id: 'resp_2',
      model: 'some-model',
      choices: [
        {
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: 'Hello',
            tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }],
          },
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  });

  it('opens lazily, streams thinking as reasoning_content and defaults the finish to stop', () => {
    const encoder = openaiFormat.createStreamEncoder();
    const wire = [...encoder.encode({ type: 'thinking', text: 'hm' }), ...encoder.end()];
    const deltas = wire.map((w) => (w.data as { choices?: { delta: object; finish_reason: string | null }[] }).choices?.[0]);
    expect(deltas).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { reasoning_content: 'hm' }, logprobs: null, finish_reason: null },
      { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' },
      undefined,
    ]);
    expect((wire[0]!.data as { id: string }).id).toMatch(/^chatcmpl-/);
  });

  it('writes a text delta as the JSON text of the chunk it stands for, whatever the text holds', () => {
    const text = 'say "hi"\n\\ tab\t \u0001 😀 \ud800 </script>';
    const encoder = openaiFormat.createStreamEncoder();
    const [opening] = encoder.encode({ type: 'start', id: 'r"1', model: 'm\\x' });
    const [delta] = encoder.encode({ type: 'text', text });
    const { created } = opening!.data as { created: number };
    const chunk = { id: 'r"1', object: 'chat.completion.chunk', created, model: 'm\\x', choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] };
    expect(delta!.data).toBe(JSON.stringify(chunk));
  });

  it('fails with an error chunk the SDK raises as an APIError', async () => {
    const encoder = openaiFormat.createStreamEncoder();
    const wire = [...encoder.encode({ type: 'start', id: 'r', model: 'm' }), ...encoder.encode({ type: 'text', text: 'par' }), ...encoder.fail('upstream cut')];
    expect(wire.at(-1)).toEqual({ data: { error: { message: 'upstream cut', type: 'server_error', code: 'upstream_failed' } } });
    const stream = await sdkStreaming(sse(wire)).chat.completions.create({ model: 'm', messages: [], stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow(OpenAI.APIError);
    expect(seen.join('')).toBe('par');
  });
});

describe('isTextChunk, the check that spares most chunks the schema', () => {
  const text = chunk({ content: 'hi' });
  /** Chunks and near-chunks: each either is a text chunk or is not, and the schema has the last word. */
  const samples: unknown[] = [
    text,
    chunk({ role: 'assistant', content: '' }),
    chunk({}, 'stop'),
    chunk({ reasoning_content: 'hmm', reasoning: null, refusal: null }),
    { choices: [{ delta: null }] },
    { id: null, model: null, choices: null },
    {},
    { ...head, choices: [] },
    usageChunk,
    chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '' } }] }),
    chunk({ content: 5 }),
    chunk({ content: ['a'] }),
    chunk({ refusal: {} }),
    chunk({ reasoning: 1 }),
    chunk({ reasoning_content: true }),
    { ...text, id: 7 },
    { ...text, model: {} },
    { ...text, choices: {} },
    { ...text, choices: [null] },
    { ...text, choices: [[]] },
    { ...text, choices: [{ index: '0', delta: { content: 'x' } }] },
    { ...text, choices: [{ index: Infinity, delta: { content: 'x' } }] },
    { ...text, choices: [{ index: 0, finish_reason: 1, delta: {} }] },
    { ...text, choices: [{ index: 0, delta: [] }] },
    { ...text, choices: [{ index: 0, delta: 'x' }] },
    { ...text, usage: { prompt_tokens: 'x' } },
    [text],
    null,
    'chunk',
  ];

  it('accepts only what the chunk schema accepts', () => {
    for (const sample of samples) {
      if (isTextChunk(sample)) expect(chunkSchema.safeParse(sample).success, JSON.stringify(sample)).toBe(true);
    }
  });

  it("accepts a stream's text and finish chunks, and leaves tool calls and usage to the schema", () => {
    expect(isTextChunk(text)).toBe(true);
    expect(isTextChunk(chunk({}, 'stop'))).toBe(true);
    expect(isTextChunk(usageChunk)).toBe(false);
    expect(isTextChunk(chunk({ tool_calls: [] }))).toBe(false);
  });

  it("decodes what it accepts as the schema's copy would decode", () => {
    const stream = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ reasoning_content: 'r' }), chunk({ content: 'lo' }), chunk({}, 'stop')];
    const viaSchema = openaiFormat.createStreamDecoder();
    const schemaEvents = stream.flatMap((c) => {
      const parsed = chunkSchema.parse(c);
      // The schema's copy, with the fields it strips gone, as a text: what the decoder then reads.
      return viaSchema.decode({ data: JSON.stringify(parsed) });
    });
    expect(decodeAll(stream)).toEqual(schemaEvents);
  });
});
