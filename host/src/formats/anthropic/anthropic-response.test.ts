import { describe, expect, it } from 'vitest';
import type { IRRequest, IRResponse } from '../ir.js';
import { anthropicFormat as codec } from './index.js';
import { sdkClient } from './sdk-client.test-suite.js';

const sampleResponse: IRResponse = {
  id: 'msg_01',
  model: 'claude-sonnet-4-6',
  content: [
    { type: 'thinking', text: 'Hmm.', signature: 'sig' },
    { type: 'text', text: 'Calling.' },
    { type: 'tool_call', id: 'toolu_9', name: 'get_weather', arguments: '{"city":"Oslo"}' },
  ],
  stopReason: 'tool_calls',
  usage: { inputTokens: 120, outputTokens: 30, cachedInputTokens: 100 },
};

describe('anthropic encodeRequest', () => {
  const base: IRRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true };

  it('fills max_tokens, maps tool choice, user, topK and keeps stream', () => {
    const { body, dropped } = codec.encodeRequest({
      ...base,
      tools: [{ name: 'noargs', parameters: {} }],
      toolChoice: { type: 'required' },
      topK: 5,
      user: 'u1',
    });
    expect(body).toEqual({
      model: 'm',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: true,
      // Anthropic requires an object schema; an empty IR schema gains `type: "object"`.
      tools: [{ name: 'noargs', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
      top_k: 5,
      metadata: { user_id: 'u1' },
    });
    expect(dropped).toEqual([]);
  });

  it('drops unsigned thinking and empty text, and notes invalid tool-call arguments', () => {
    const { body, dropped } = codec.encodeRequest({
      ...base,
      messages: [
        ...base.messages,
        {
          role: 'assistant',
          content: [
            { type: 'text', text: '' },
            { type: 'thinking', text: 'from another provider' },
            { type: 'tool_call', id: 'c1', name: 'f', arguments: '{"broken' },
            { type: 'tool_call', id: 'c2', name: 'g', arguments: '' },
          ],
        },
        { role: 'assistant', content: [{ type: 'thinking', text: 'only this' }] },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'c1', name: 'f', input: {} },
          { type: 'tool_use', id: 'c2', name: 'g', input: {} },
        ],
      },
    ]);
    expect(dropped.sort()).toEqual(['thinking', 'tool_call.arguments']);
  });

  it('encodes tool results with is_error and images both ways', () => {
    const { body } = codec.encodeRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'c1', name: 'f', content: 'boom', isError: true },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: 'boom', is_error: true },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
        ],
      },
    ]);
  });
});

describe('anthropic responses', () => {
  it('decodes an upstream message with thinking, parallel tool calls, cache usage and server tools', () => {
    const ir = codec.decodeResponse({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6-20250929',
      content: [
        { type: 'thinking', thinking: 'Two lookups.', signature: 'EqQBCgIYAhIM' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
        { type: 'text', text: 'Let me check both.', citations: null },
        { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_01B', name: 'get_time', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, cache_creation_input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 40 },
    });
    expect(ir).toEqual({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      model: 'claude-sonnet-4-6-20250929',
      content: [
        { type: 'thinking', text: 'Two lookups.', signature: 'EqQBCgIYAhIM' },
        { type: 'text', text: 'Let me check both.' },
        { type: 'tool_call', id: 'toolu_01A', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'toolu_01B', name: 'get_time', arguments: '{}' },
      ],
      stopReason: 'tool_calls',
      // input_tokens excludes cache reads and writes; the IR counts all input.
      usage: { inputTokens: 125, outputTokens: 40, cachedInputTokens: 100 },
    });
  });

  it.each([
    ['end_turn', 'end_turn'],
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['model_context_window_exceeded', 'max_tokens'],
    ['pause_turn', 'other'],
  ])('decodes stop_reason %s as %s', (wire, stopReason) => {
    const ir = codec.decodeResponse({
      id: 'x', model: 'm', content: [], stop_reason: wire, stop_sequence: wire === 'stop_sequence' ? 'END' : null,
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(ir.stopReason).toBe(stopReason);
    expect(ir.stopSequence).toBe(wire === 'stop_sequence' ? 'END' : undefined);
  });

  it('rejects a malformed upstream body as an upstream failure', () => {
    expect(() => codec.decodeResponse({ id: 'x', model: 'm', content: 'nope', usage: {} })).toThrow(
      expect.objectContaining({ code: 'upstream_failed', status: 502, message: expect.stringContaining('content') }),
    );
  });

  it('encodes a client message the SDK parses', async () => {
    const { body, dropped } = codec.encodeResponse({ ...sampleResponse, stopReason: 'stop_sequence', stopSequence: 'END' });
    expect(dropped).toEqual([]);
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
      usage: { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 100 },
    });
    const { client } = sdkClient(() => Response.json(body));
    const message = await client.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(codec.decodeResponse(message)).toEqual({ ...sampleResponse, stopReason: 'stop_sequence', stopSequence: 'END' });
  });

  it('drops parts an Anthropic answer cannot carry', () => {
    const { dropped } = codec.encodeResponse({
      ...sampleResponse,
      content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/x.png' } }],
    });
    expect(dropped).toEqual(['image']);
  });

  it('reads error messages and lists models', async () => {
    expect(codec.errorMessage({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toBe('Overloaded');
    expect(codec.errorMessage({ error: 'x' })).toBeUndefined();
    expect(codec.errorMessage('oops')).toBeUndefined();

    const listing = codec.listing.encodeList([
      { id: 'a', ownedBy: 'anthropic', created: 1_700_000_000, displayName: 'Model A' },
      { id: 'b', ownedBy: 'openai', created: 0 },
    ]);
    expect(listing).toEqual({
      data: [
        { type: 'model', id: 'a', display_name: 'Model A', created_at: '2023-11-14T22:13:20Z' },
        { type: 'model', id: 'b', display_name: 'b', created_at: '1970-01-01T00:00:00Z' },
      ],
      has_more: false,
      first_id: 'a',
      last_id: 'b',
    });
    const { client } = sdkClient(() => Response.json(listing));
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['a', 'b']);
  });
});
