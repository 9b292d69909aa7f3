import { describe, expect, it } from 'vitest';
import { type SseEvent, UpstreamStreamError, type WireEvent } from '../wire-format.js';
import type { IRStreamEvent } from '../ir.js';
import { anthropicFormat as codec } from './index.js';
import { sdkClient } from './sdk-client.test-suite.js';

/** Parses an SSE transcript (as the upstream sends it) into events. */
function sse(text: string): SseEvent[] {
  return text
    .trim()
    .split(/\n\n+/)
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1] ?? '';
      return { event, data };
    });
}

function decodeAll(events: SseEvent[]): IRStreamEvent[] {
  const decoder = codec.createStreamDecoder();
  return events.flatMap((e) => decoder.decode(e));
}

/** An encoded event's data as an object (text deltas are made as JSON text). */
const data = (e: WireEvent) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as Record<string, unknown>;

function toSseText(events: WireEvent[]): string {
  return events.map((e) => `event: ${e.event}\ndata: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`).join('');
}

describe('anthropic stream decoder', () => {
  it('decodes a transcript with pings, thinking, text and parallel tool calls', () => {
    const events = decodeAll(
      sse(`
event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-6","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_read_input_tokens":0,"output_tokens":2}}}

event: ping
data: {"type": "ping"}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two cities."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking "}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"both."}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"Pa"}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ris\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: ping
data: {"type": "ping"}

event: content_block_start
data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"Rome\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":3}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}
`),
    );
    expect(events).toEqual([
      { type: 'start', id: 'msg_1', model: 'claude-sonnet-4-6' },
      { type: 'thinking', text: 'Two cities.' },
      { type: 'thinking', text: '', signature: 'EqQB' },
      { type: 'text', text: 'Checking ' },
      { type: 'text', text: 'both.' },
      { type: 'tool_call_start', index: 0, id: 'toolu_A', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city": "Pa' },
      { type: 'tool_call_delta', index: 0, arguments: 'ris"}' },
      { type: 'tool_call_start', index: 1, id: 'toolu_B', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city": "Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 472, outputTokens: 89 } },
    ]);
  });

  it('ignores server-tool and redacted blocks, merges cumulative usage from message_delta', () => {
    const events = decodeAll([
      { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_2', model: 'm', usage: { input_tokens: 10, output_tokens: 1 } } }) },
      { event: 'content_block_start', data: '{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"x"}}' },
      { event: 'content_block_start', data: '{"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srv","name":"web_search","input":{}}}' },
      { event: 'content_block_delta', data: '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"query\\":\\"x\\"}"}}' },
      { event: 'content_block_start', data: '{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}' },
      { event: 'content_block_delta', data: '{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Hi"}}' },
      { event: 'message_delta', data: '{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"input_tokens":12,"cache_read_input_tokens":30,"output_tokens":5}}' },
      { event: 'message_stop', data: '{"type":"message_stop"}' },
    ]);
    expect(events).toEqual([
      { type: 'start', id: 'msg_2', model: 'm' },
      { type: 'text', text: 'Hi' },
      { type: 'finish', stopReason: 'stop_sequence', stopSequence: 'END' },
      { type: 'usage', usage: { inputTokens: 42, outputTokens: 5, cachedInputTokens: 30 } },
    ]);
  });

  it.each([
    ['overloaded_error', 'Overloaded', 529],
    ['api_error', 'Internal server error', 500],
  ])('throws UpstreamStreamError on an %s event', (type, message, status) => {
    const decoder = codec.createStreamDecoder();
    decoder.decode({ event: 'message_start', data: '{"type":"message_start","message":{"id":"x","model":"m","usage":{"input_tokens":1,"output_tokens":0}}}' });
    let thrown: unknown;
    try {
      decoder.decode({ event: 'error', data: JSON.stringify({ type: 'error', error: { type, message } }) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UpstreamStreamError);
    expect(thrown).toMatchObject({ message, status });
  });
});

describe('anthropic stream encoder', () => {
  it('emits the documented event sequence with event names equal to types', () => {
    const encoder = codec.createStreamEncoder();
    const wire = [
      ...[
        { type: 'start', id: 'msg_9', model: 'claude' },
        { type: 'thinking', text: 'Think.' },
        { type: 'thinking', text: '', signature: 'sig' },
        { type: 'thinking', text: 'More.' },
        { type: 'text', text: 'Hi' },
        { type: 'tool_call_start', index: 0, id: 'call_1', name: 'f' },
        { type: 'tool_call_delta', index: 0, arguments: '{"a":1}' },
        { type: 'usage', usage: { inputTokens: 50, outputTokens: 7, cachedInputTokens: 40 } },
        { type: 'finish', stopReason: 'tool_calls' },
      ].flatMap((e) => encoder.encode(e as IRStreamEvent)),
      ...encoder.end(),
    ];
    for (const e of wire) expect(e.event).toBe(data(e).type);
    expect(wire.map(data)).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_9', type: 'message', role: 'assistant', model: 'claude', content: [],
          stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Think.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'thinking_delta', thinking: 'More.' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
      { type: 'content_block_stop', index: 3 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 10, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 40 },
      },
      { type: 'message_stop' },
    ]);
  });

  it('writes a text delta as the JSON text of the event it stands for, whatever the text holds', () => {
    const text = 'say "hi"\n\\ tab\t \u0001 😀 \ud800 </script>';
    const encoder = codec.createStreamEncoder();
    const delta = encoder.encode({ type: 'text', text }).find((e) => e.event === 'content_block_delta')!;
    expect(delta.data).toBe(JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
  });

  it('starts lazily, defaults the stop reason to end_turn and ends only once', () => {
    const encoder = codec.createStreamEncoder();
    const wire = [...encoder.encode({ type: 'text', text: 'x' }), ...encoder.end()];
    expect(wire[0]!.event).toBe('message_start');
    expect((wire[0]!.data as { message: { id: string } }).message.id).toMatch(/^msg_/);
    expect(wire.at(-2)!.data).toMatchObject({ type: 'message_delta', delta: { stop_reason: 'end_turn' } });
    expect(encoder.end()).toEqual([]);
  });

  it('fails with the documented error event', () => {
    const encoder = codec.createStreamEncoder();
    encoder.encode({ type: 'start', id: 'x', model: 'm' });
    expect(encoder.fail('upstream cut')).toEqual([
      { event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'upstream cut' } } },
    ]);
    expect(encoder.end()).toEqual([]);
  });

  it('produces a stream the official SDK accumulates, and an error the SDK throws', async () => {
    const encoder = codec.createStreamEncoder();
    const events: IRStreamEvent[] = [
      { type: 'start', id: 'msg_s', model: 'claude' },
      { type: 'thinking', text: 'Plan.', signature: 'sig' },
      { type: 'text', text: 'Hello' },
      { type: 'tool_call_start', index: 0, id: 'call_3', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 3 } },
    ];
    const text = toSseText([...events.flatMap((e) => encoder.encode(e)), ...encoder.end()]);
    const stream = () => new Response(text, { headers: { 'content-type': 'text/event-stream' } });
    const { client } = sdkClient(stream);
    const message = await client.messages.stream({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Plan.', signature: 'sig' },
      { type: 'text', text: 'Hello' },
      { type: 'tool_use', id: 'call_3', name: 'get_weather', input: { city: 'Rome' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 5, output_tokens: 3 });

    const failing = codec.createStreamEncoder();
    const broken = toSseText([...failing.encode(events[0]!), ...failing.encode(events[2]!), ...failing.fail('upstream cut')]);
    const { client: failingClient } = sdkClient(() => new Response(broken, { headers: { 'content-type': 'text/event-stream' } }));
    await expect(
      failingClient.messages.stream({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }).finalMessage(),
    ).rejects.toThrow(/upstream cut/);
  });
});
