import { describe, expect, it } from 'vitest';
import { expectInvalidBody, runCodecContract, toSse } from '../contract.test-suite.js';
import { FORMATS } from '../index.js';
import type { IRStreamEvent } from '../ir.js';
import { UpstreamStreamError, type WireEvent } from '../wire-format.js';
import { openaiResponsesFormat as responses } from './index.js';

runCodecContract(responses);

/** A request as Codex sends it: stateless (`store: false`), replaying reasoning, calls and outputs. */
const codexRequest = {
  model: 'gpt-5-codex',
  instructions: 'You are Codex, a coding agent.',
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>workspace-write</permissions>' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files.' }] },
    { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'I should run ls.' }], content: null, encrypted_content: 'gAAAAABenc-1' },
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'README.md\nsrc' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Two entries.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks.' }] },
  ],
  tools: [
    { type: 'function', name: 'shell', description: 'Runs a command', strict: false, parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } }, required: ['command'] } },
    { type: 'function', name: 'apply_patch', strict: true, parameters: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'], additionalProperties: false } },
    { type: 'web_search' },
  ],
  tool_choice: 'auto',
  parallel_tool_calls: false,
  reasoning: { effort: 'high', summary: 'auto' },
  store: false,
  stream: true,
  include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'session-1',
  text: { verbosity: 'low' },
};

describe('openai-responses decodeRequest', () => {
  it('decodes a Codex request: instructions and developer text as system, history with reasoning, calls and outputs', () => {
    const { request, unmapped } = responses.decodeRequest(codexRequest, {});
    expect(request).toEqual({
      model: 'gpt-5-codex',
      system: 'You are Codex, a coding agent.\n\n<permissions>workspace-write</permissions>',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'List the files.' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'I should run ls.', signature: 'gAAAAABenc-1' },
            { type: 'tool_call', id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_1', name: 'shell', content: 'README.md\nsrc' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Two entries.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks.' }] },
      ],
      tools: [
        { name: 'shell', description: 'Runs a command', parameters: codexRequest.tools[0]!.parameters },
        { name: 'apply_patch', parameters: codexRequest.tools[1]!.parameters, strict: true },
      ],
      toolChoice: { type: 'auto' },
      reasoning: { mode: 'level', level: 'high' },
      stream: true,
    });
    // Handled by the host (store), or carried: nothing else is silently lost.
    expect(unmapped.sort()).toEqual(['include', 'parallel_tool_calls', 'prompt_cache_key', 'reasoning.summary', 'text.verbosity', 'tools[].type=web_search']);
  });

  it('gives the encrypted reasoning back to a Responses upstream, and no store of its own', () => {
    const { request } = responses.decodeRequest(codexRequest, {});
    const { body, dropped } = responses.encodeRequest(request);
    expect(dropped).toEqual([]);
    expect(body).not.toHaveProperty('store');
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files.' }] },
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'I should run ls.' }], encrypted_content: 'gAAAAABenc-1' },
      { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'README.md\nsrc' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Two entries.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks.' }] },
    ]);
    expect(body.tools).toEqual([
      { type: 'function', name: 'shell', description: 'Runs a command', parameters: codexRequest.tools[0]!.parameters, strict: false },
      { type: 'function', name: 'apply_patch', parameters: codexRequest.tools[1]!.parameters, strict: true },
    ]);
    expect(body.reasoning).toEqual({ effort: 'high' });
    expect(body.instructions).toBe('You are Codex, a coding agent.\n\n<permissions>workspace-write</permissions>');
  });

  it('reads a string input as one user message, and short-form messages of every role', () => {
    expect(responses.decodeRequest({ model: 'm', input: 'Hi' }, {}).request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
    const { request } = responses.decodeRequest(
      { model: 'm', input: [{ role: 'system', content: 'Sys.' }, { role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }, { role: 'developer', content: 'Dev.' }] },
      {},
    );
    expect(request.system).toBe('Sys.\n\nDev.');
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Q' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'A' }] },
    ]);
  });

  it('decodes images by data URL as base64 and by http URL as a URL, and reports files', () => {
    const { request, unmapped } = responses.decodeRequest(
      {
        model: 'm',
        input: [{
          role: 'user',
          content: [
            { type: 'input_text', text: 'Compare' },
            { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'auto' },
            { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'high' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' },
            { type: 'input_image', file_id: 'file-1', detail: 'auto' },
          ],
        }],
      },
      {},
    );
    expect(request.messages[0]!.content).toEqual([
      { type: 'text', text: 'Compare' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
    ]);
    expect(unmapped.sort()).toEqual(['input[].content[].type=input_file', 'input[].content[].type=input_image(file_id)']);
  });

  it('decodes tool choices, limits and sampling', () => {
    const decode = (extra: Record<string, unknown>) => responses.decodeRequest({ model: 'm', input: 'x', ...extra }, {});
    expect(decode({ tool_choice: 'none' }).request.toolChoice).toEqual({ type: 'none' });
    expect(decode({ tool_choice: 'required' }).request.toolChoice).toEqual({ type: 'required' });
    expect(decode({ tool_choice: { type: 'function', name: 'f' } }).request.toolChoice).toEqual({ type: 'tool', name: 'f' });
    const hosted = decode({ tool_choice: { type: 'web_search_preview' } });
    expect(hosted.request.toolChoice).toBeUndefined();
    expect(hosted.unmapped).toEqual(['tool_choice']);
    const { request, unmapped } = decode({ max_output_tokens: 100, temperature: 0.3, top_p: 0.8, user: 'u-1', metadata: { a: 'b' }, previous_response_id: 'resp_1', store: true });
    expect(request).toMatchObject({ maxTokens: 100, temperature: 0.3, topP: 0.8, user: 'u-1' });
    expect(unmapped).toEqual(['metadata']);
  });

  it('reports a tool whose strictness it cannot carry: omitted, Responses makes it strict', () => {
    const { request, unmapped } = responses.decodeRequest({ model: 'm', input: 'x', tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }] }, {});
    expect(request.tools).toEqual([{ name: 'f', parameters: { type: 'object' } }]);
    expect(unmapped).toEqual(['tools[].strict']);
  });

  it('rejects a bad body with a 400 naming the field', () => {
    expectInvalidBody(responses, { model: 'm', input: 42 }, 'input');
    expectInvalidBody(responses, { model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id');
    expectInvalidBody(responses, { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 5 }] }] }, 'input[0].content[0].text');
    expectInvalidBody(responses, { model: 'm', input: 'x', tools: [{ type: 'function', parameters: {} }] }, 'tools[0].name');
    expectInvalidBody(responses, { model: 'm', input: 'x', max_output_tokens: 'ten' }, 'max_output_tokens');
    expectInvalidBody(responses, { input: 'x' }, 'model');
  });
});

describe('openai-responses applyReasoning', () => {
  it('writes reasoning.effort by the table, none for off, nothing for auto, keeping the summary setting', () => {
    const body = { model: 'm', input: 'x', reasoning: { effort: 'low', summary: 'auto' } };
    expect(responses.applyReasoning(body, { mode: 'budget', budget: 30000 }).reasoning).toEqual({ effort: 'high', summary: 'auto' });
    expect(responses.applyReasoning(body, { mode: 'off' }).reasoning).toEqual({ effort: 'none', summary: 'auto' });
    expect(responses.applyReasoning(body, { mode: 'auto' }).reasoning).toEqual({ summary: 'auto' });
    expect(responses.applyReasoning({ model: 'm', reasoning: { effort: 'low' } }, { mode: 'auto' })).toEqual({ model: 'm' });
  });
});

/** Encodes IR events through a fresh encoder, ending with `end()` unless told to fail. */
function encodeStream(events: IRStreamEvent[], fail?: string): WireEvent[] {
  const encoder = responses.createStreamEncoder();
  return [...events.flatMap((e) => encoder.encode(e)), ...(fail === undefined ? encoder.end() : encoder.fail(fail))];
}

/** An encoded event's data as an object (text deltas are made as JSON text). */
const data = (e: WireEvent) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as Record<string, any>;

/** Client events read back by one decoder, as from a Responses upstream. */
function decodeWire(wire: WireEvent[]): IRStreamEvent[] {
  const decoder = responses.createStreamDecoder();
  return wire.flatMap((w) => decoder.decode(toSse(w)));
}

function expectWellFormed(wire: WireEvent[]): void {
  wire.forEach((e, i) => {
    expect(data(e).sequence_number).toBe(i);
    expect(e.event).toBe(data(e).type);
    expect(data(e)).not.toHaveProperty('error');
  });
}

describe('openai-responses stream encoder', () => {
  it('sends a text answer exactly as OpenAI does, the terminal event held for the usage', () => {
    const encoder = responses.createStreamEncoder();
    const wire = [
      ...encoder.encode({ type: 'start', id: 'chatcmpl-1', model: 'gpt-4.1' }),
      ...encoder.encode({ type: 'text', text: 'Hel' }),
      ...encoder.encode({ type: 'text', text: 'lo' }),
      ...encoder.encode({ type: 'finish', stopReason: 'end_turn' }),
    ];
    // Nothing terminal before end(): usage may still come.
    expect(wire.map((e) => data(e).type)).not.toContain('response.completed');
    wire.push(...encoder.encode({ type: 'usage', usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 4 } }), ...encoder.end());
    expectWellFormed(wire);
    expect(wire.map((e) => data(e).type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = data(wire[0]!).response;
    expect(created).toMatchObject({ object: 'response', status: 'in_progress', model: 'gpt-4.1', output: [] });
    expect(created.id).toMatch(/^resp_/);
    const itemId = data(wire[2]!).item.id;
    expect(itemId).toMatch(/^msg_/);
    expect(data(wire[4]!)).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, delta: 'Hel' });
    expect(data(wire[6]!)).toMatchObject({ item_id: itemId, text: 'Hello' });
    const completed = data(wire.at(-1)!).response;
    expect(completed).toMatchObject({
      id: created.id,
      status: 'completed',
      incomplete_details: null,
      error: null,
      output: [{ id: itemId, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] }],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 },
    });
  });

  it('writes a text delta as the JSON text of the event it stands for, whatever the text holds', () => {
    const text = 'say "hi"\n\\ tab\t \u0001 😀 \ud800 </script>';
    const wire = encodeStream([{ type: 'start', id: 'x', model: 'm' }, { type: 'text', text }, { type: 'finish', stopReason: 'end_turn' }]);
    const delta = wire.find((e) => e.event === 'response.output_text.delta')!;
    expect(typeof delta.data).toBe('string');
    const itemId = data(wire[2]!).item.id;
    const object = { type: 'response.output_text.delta', sequence_number: 4, item_id: itemId, output_index: 0, content_index: 0, delta: text, logprobs: [] };
    expect(delta.data).toBe(JSON.stringify(object));
    expect(data(wire.find((e) => e.event === 'response.output_text.done')!).text).toBe(text);
  });

  it('sends a tool call as a function_call item with argument deltas', () => {
    const wire = encodeStream([
      { type: 'start', id: 'x', model: 'm' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_call_start', index: 0, id: 'call_7', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 3 } },
    ]);
    expectWellFormed(wire);
    expect(wire.map((e) => `${data(e).sequence_number} ${data(e).type}`)).toEqual([
      '0 response.created',
      '1 response.in_progress',
      '2 response.output_item.added',
      '3 response.content_part.added',
      '4 response.output_text.delta',
      '5 response.output_text.done',
      '6 response.content_part.done',
      '7 response.output_item.done',
      '8 response.output_item.added',
      '9 response.function_call_arguments.delta',
      '10 response.function_call_arguments.delta',
      '11 response.function_call_arguments.done',
      '12 response.output_item.done',
      '13 response.completed',
    ]);
    expect(data(wire[8]!)).toMatchObject({ output_index: 1, item: { type: 'function_call', status: 'in_progress', call_id: 'call_7', name: 'get_weather', arguments: '' } });
    const fcId = data(wire[8]!).item.id;
    expect(fcId).toMatch(/^fc_/);
    expect(data(wire[9]!)).toMatchObject({ item_id: fcId, output_index: 1, delta: '{"city":' });
    expect(data(wire[11]!)).toMatchObject({ item_id: fcId, output_index: 1, name: 'get_weather', arguments: '{"city":"Rome"}' });
    const final = data(wire.at(-1)!).response;
    expect(final.status).toBe('completed');
    expect(final.output).toHaveLength(2);
    expect(final.output[1]).toEqual({ id: fcId, type: 'function_call', status: 'completed', call_id: 'call_7', name: 'get_weather', arguments: '{"city":"Rome"}' });
  });

  it('keeps parallel calls open so interleaved argument deltas all arrive', () => {
    const wire = encodeStream([
      { type: 'tool_call_start', index: 0, id: 'a', name: 'f' },
      { type: 'tool_call_start', index: 1, id: 'b', name: 'g' },
      { type: 'tool_call_delta', index: 0, arguments: '{"x":1}' },
      { type: 'tool_call_delta', index: 1, arguments: '{"y":2}' },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
    expectWellFormed(wire);
    const final = data(wire.at(-1)!).response;
    expect(final.output.map((i: { arguments: string }) => i.arguments)).toEqual(['{"x":1}', '{"y":2}']);
    const decoded = decodeWire(wire);
    expect(decoded.filter((e) => e.type === 'tool_call_start')).toHaveLength(2);
  });

  it('sends reasoning as a reasoning item with its summary, the signature as encrypted_content', () => {
    const wire = encodeStream([
      { type: 'start', id: 'msg_1', model: 'claude' },
      { type: 'thinking', text: 'Let me ' },
      { type: 'thinking', text: 'think.' },
      { type: 'thinking', text: '', signature: 'sig-anthropic' },
      { type: 'text', text: 'Done.' },
      { type: 'finish', stopReason: 'end_turn' },
    ]);
    expectWellFormed(wire);
    expect(wire.map((e) => data(e).type).slice(2, 9)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
    ]);
    const reasoning = { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Let me think.' }], encrypted_content: 'sig-anthropic' };
    expect(data(wire[8]!).item).toMatchObject(reasoning);
    expect(data(wire.at(-1)!).response.output[0]).toMatchObject(reasoning);
    // A Responses upstream's stream reads back the same way.
    const decoded = decodeWire(wire);
    expect(decoded.filter((e) => e.type === 'thinking')).toEqual([
      { type: 'thinking', text: 'Let me ' },
      { type: 'thinking', text: 'think.' },
      { type: 'thinking', text: '', signature: 'sig-anthropic' },
    ]);
  });

  it('ends a max_tokens stop with response.incomplete and incomplete_details', () => {
    const wire = encodeStream([
      { type: 'text', text: 'Once upon' },
      { type: 'finish', stopReason: 'max_tokens' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 16 } },
    ]);
    expectWellFormed(wire);
    const last = data(wire.at(-1)!);
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { output_tokens: 16 } });
    expect(wire.map((e) => data(e).type)).not.toContain('response.completed');
    const decoded = decodeWire(wire);
    expect(decoded).toContainEqual({ type: 'finish', stopReason: 'max_tokens' });
  });

  it('ends a broken stream with response.failed: a failed Response, no response.completed, no top-level error', () => {
    const wire = encodeStream([{ type: 'start', id: 'x', model: 'm' }, { type: 'text', text: 'partial' }], 'upstream cut');
    expectWellFormed(wire);
    const types = wire.map((e) => data(e).type);
    expect(types.at(-1)).toBe('response.failed');
    expect(types).not.toContain('response.completed');
    expect(types).not.toContain('response.incomplete');
    expect(data(wire.at(-1)!).response).toMatchObject({ status: 'failed', error: { code: 'server_error', message: 'upstream cut' } });
    // Failing before anything was sent still opens the stream the way the SDK needs.
    expect(encodeStream([], 'early').map((e) => data(e).type)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
  });
});

describe('openai-responses stored conversations', () => {
  const { finalAnswer } = responses.conversation!;
  const response = { id: 'resp_1', object: 'response', status: 'completed', output: [] };

  it('takes the answer of a final event, held as an object or as its text', () => {
    for (const type of ['response.completed', 'response.incomplete']) {
      expect(finalAnswer({ event: type, data: { type, response } })).toEqual(response);
      expect(finalAnswer({ event: type, data: JSON.stringify({ type, response }) })).toEqual(response);
      expect(finalAnswer({ data: JSON.stringify({ type, sequence_number: 9, response }) })).toEqual(response);
      // An upstream that names its events otherwise is read by their text.
      expect(finalAnswer({ event: 'message', data: JSON.stringify({ type, response }) })).toEqual(response);
    }
  });

  it('takes nothing from any other event, even one whose text speaks of a final event', () => {
    const delta = { type: 'response.output_text.delta', delta: 'see "response.completed" and "type":"response.completed"' };
    expect(finalAnswer({ event: delta.type, data: JSON.stringify(delta) })).toBeUndefined();
    expect(finalAnswer({ event: delta.type, data: delta })).toBeUndefined();
    expect(finalAnswer({ event: 'response.failed', data: JSON.stringify({ type: 'response.failed', response }) })).toBeUndefined();
    expect(finalAnswer({ data: '[DONE]' })).toBeUndefined();
    expect(finalAnswer({ data: '{"type":"response.completed", not json' })).toBeUndefined();
  });
});

describe('openai-responses stream decoder', () => {
  const decode = (events: Record<string, unknown>[]) => {
    const decoder = responses.createStreamDecoder();
    return events.flatMap((e) => decoder.decode({ event: String(e.type), data: JSON.stringify(e) }));
  };

  it('reads text, calls, reasoning with its encrypted content, usage and the finish', () => {
    const events = decode([
      { type: 'response.created', sequence_number: 0, response: { id: 'resp_9', model: 'gpt-5', status: 'in_progress', output: [] } },
      { type: 'response.in_progress', sequence_number: 1, response: { id: 'resp_9', status: 'in_progress', output: [] } },
      { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } },
      { type: 'response.reasoning_summary_part.added', item_id: 'rs_1', summary_index: 0, part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', summary_index: 0, delta: 'Plan.' },
      { type: 'response.reasoning_summary_part.added', item_id: 'rs_1', summary_index: 1, part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', summary_index: 1, delta: 'More.' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }, { type: 'summary_text', text: 'More.' }], encrypted_content: 'gAAAA-enc' } },
      { type: 'response.output_item.added', output_index: 1, item: { id: 'msg_1', type: 'message', role: 'assistant', content: [] } },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hi' },
      { type: 'response.output_item.done', output_index: 1, item: { id: 'msg_1', type: 'message', content: [{ type: 'output_text', text: 'Hi' }] } },
      { type: 'response.output_item.added', output_index: 2, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '' } },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 2, delta: '{}' },
      { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 2, arguments: '{}' },
      { type: 'response.output_item.done', output_index: 2, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' } },
      {
        type: 'response.completed',
        response: { id: 'resp_9', status: 'completed', output: [{ type: 'function_call' }], usage: { input_tokens: 7, output_tokens: 9, input_tokens_details: { cached_tokens: 2 }, output_tokens_details: { reasoning_tokens: 4 } } },
      },
    ]);
    expect(events).toEqual([
      { type: 'start', id: 'resp_9', model: 'gpt-5' },
      { type: 'thinking', text: 'Plan.' },
      { type: 'thinking', text: '\n\n' },
      { type: 'thinking', text: 'More.' },
      { type: 'thinking', text: '', signature: 'gAAAA-enc' },
      { type: 'text', text: 'Hi' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 9, cachedInputTokens: 2 } },
    ]);
  });

  it('reads items an upstream sends only whole, in output_item.done', () => {
    const events = decode([
      { type: 'response.output_item.done', item: { id: 'msg_1', type: 'message', content: [{ type: 'output_text', text: 'Whole.' }] } },
      { type: 'response.output_item.done', item: { id: 'fc_1', type: 'function_call', call_id: 'c', name: 'f', arguments: '{"a":1}' } },
    ]);
    expect(events).toEqual([
      { type: 'text', text: 'Whole.' },
      { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"a":1}' },
    ]);
  });

  it('adds nothing from output_item.done when deltas came without item ids', () => {
    const events = decode([
      { type: 'response.output_item.added', output_index: 0, item: { type: 'function_call', call_id: 'c', name: 'f', arguments: '' } },
      { type: 'response.function_call_arguments.delta', output_index: 0, delta: '{}' },
      { type: 'response.output_item.done', output_index: 0, item: { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' } },
      { type: 'response.output_text.delta', output_index: 1, delta: 'Hi' },
      { type: 'response.output_item.done', output_index: 1, item: { id: 'msg_1', type: 'message', content: [{ type: 'output_text', text: 'Hi' }] } },
    ]);
    expect(events).toEqual([
      { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{}' },
      { type: 'text', text: 'Hi' },
    ]);
  });

  it('throws on response.failed and error events, with the status their code says, and flags them as terminal', () => {
    const failed = { type: 'response.failed', sequence_number: 5, response: { id: 'r', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Slow down' } } };
    const error = { type: 'error', sequence_number: 2, code: 'server_error', message: 'boom', param: null };
    for (const [event, message, status] of [[failed, 'Slow down', 429], [error, 'boom', 500]] as const) {
      let thrown: unknown;
      try {
        decode([event]);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UpstreamStreamError);
      expect(thrown).toMatchObject({ message, status });
      expect(responses.mayCarryOutcome({ event: event.type, data: JSON.stringify(event) })).toBe(true);
    }
    expect(responses.mayCarryOutcome({ event: 'response.output_text.delta', data: '{"type":"response.output_text.delta","delta":"error"}' })).toBe(false);
  });
});

describe('openai-responses answers', () => {
  it('decodes a Response: reasoning with encrypted content, text, calls, cached usage', () => {
    const ir = responses.decodeResponse({
      id: 'resp_1',
      object: 'response',
      model: 'gpt-5',
      status: 'completed',
      output: [
        { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }], encrypted_content: 'enc' },
        { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Calling.', annotations: [] }] },
        { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
      ],
      usage: { input_tokens: 20, input_tokens_details: { cached_tokens: 8 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 25 },
    });
    expect(ir).toEqual({
      id: 'resp_1',
      model: 'gpt-5',
      content: [
        { type: 'thinking', text: 'Hmm.', signature: 'enc' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 20, outputTokens: 5, cachedInputTokens: 8 },
    });
    // And back: the signature rides in encrypted_content, nothing reported dropped.
    const { body, dropped } = responses.encodeResponse(ir);
    expect(dropped).toEqual([]);
    expect((body as { output: unknown[] }).output[0]).toMatchObject({ type: 'reasoning', summary: [{ text: 'Hmm.' }], encrypted_content: 'enc' });
    expect(responses.decodeResponse(body)).toEqual({ ...ir, id: 'resp_1' });
  });

  it('maps incomplete answers both ways: max_output_tokens and content_filter', () => {
    for (const [reason, stopReason] of [['max_output_tokens', 'max_tokens'], ['content_filter', 'content_filter']] as const) {
      const ir = responses.decodeResponse({ id: 'resp_1', status: 'incomplete', incomplete_details: { reason }, output: [] });
      expect(ir.stopReason).toBe(stopReason);
      const body = responses.encodeResponse({ id: 'x', model: 'm', content: [{ type: 'text', text: 'cut' }], stopReason, usage: { inputTokens: 1, outputTokens: 1 } }).body;
      expect(body).toMatchObject({ object: 'response', status: 'incomplete', incomplete_details: { reason } });
      expect((body as { id: string }).id).toMatch(/^resp_/);
    }
  });

  it('answers errors in the OpenAI shape with param, and counts as response.input_tokens', () => {
    expect(responses.errorBody(400, 'invalid_body', 'input: bad')).toEqual({ error: { message: 'input: bad', type: 'invalid_request_error', code: 'invalid_body', param: null } });
    expect(responses.count!.encodeResponse(12)).toEqual({ object: 'response.input_tokens', input_tokens: 12 });
    expect(responses.count!.decodeRequest({ model: 'm', input: 'count me' }, {}).request.messages).toHaveLength(1);
  });
});

describe('openai-responses endpoints and upstream', () => {
  it('serves /v1/responses (generate) and /v1/responses/input_tokens (count), and no listing of its own', () => {
    expect(responses.endpoints.map((e) => [e.url, e.operation({}).kind])).toEqual([
      ['/v1/responses', 'generate'],
      ['/v1/responses/input_tokens', 'count'],
    ]);
    expect(responses.urlPrefixes).toEqual(['/v1/responses']);
    expect(responses.listing).toBeUndefined();
    expect(responses.modelInUrl).toBe(false);
    expect(responses.forwardHeaders({ 'openai-beta': 'x' })).toEqual({});
  });

  it('repairs a refused encrypted_content: kept items lose it, items that were nothing else go', () => {
    const body = {
      model: 'm',
      input: [
        { role: 'user', content: 'q' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 's' }], encrypted_content: 'a' },
        { type: 'reasoning', summary: [], encrypted_content: 'foreign-signature' },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
      ],
    };
    const error = JSON.stringify({ error: { message: 'could not be verified', type: 'invalid_request_error', code: 'invalid_encrypted_content', param: null } });
    expect(responses.upstream.repair!(400, error, body)).toEqual({
      body: { model: 'm', input: [body.input[0], { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 's' }] }, body.input[3]] },
      dropped: ['reasoning.encrypted_content'],
    });
    expect(responses.upstream.repair!(400, '{"error":{"code":"other"}}', body)).toBeUndefined();
  });

  it('calls {base}/responses with a bearer key, counts at {base}/responses/input_tokens with what that endpoint takes', () => {
    const up = responses.upstream;
    expect(up.chatPath('/v1', 'gpt-5', true)).toBe('/v1/responses');
    expect(up.authHeaders('sk-1')).toEqual({ authorization: 'Bearer sk-1' });
    expect(up.modelsPath('/v1')).toBe('/v1/models');
    expect(up.count!.path('/v1', 'm')).toBe('/v1/responses/input_tokens');
    const body = up.count!.body({ model: 'm', input: 'x', instructions: 'i', stream: true, store: false, temperature: 1, max_output_tokens: 5, include: [] }, 'm');
    expect(body).toEqual({ model: 'm', input: 'x', instructions: 'i' });
    expect(up.count!.result({ object: 'response.input_tokens', input_tokens: 9 })).toBe(9);
    expect(up.executorEvent({ type: 'response.output_text.delta', delta: 'x' })).toEqual({ event: 'response.output_text.delta', data: '{"type":"response.output_text.delta","delta":"x"}' });
  });
});

describe('openai-responses across formats', () => {
  const { openai, anthropic } = FORMATS;

  it('keeps strictness from Chat (strict true stays true, unknown becomes strict: false)', () => {
    const chat = openai.decodeRequest({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { type: 'function', function: { name: 'a', parameters: { type: 'object' }, strict: true } },
        { type: 'function', function: { name: 'b', parameters: { type: 'object' } } },
      ],
    }, {});
    expect(chat.unmapped).toEqual([]);
    const tools = responses.encodeRequest(chat.request).body.tools as { name: string; strict: boolean }[];
    expect(tools.map((t) => [t.name, t.strict])).toEqual([['a', true], ['b', false]]);
    // And from Responses to Chat.
    const back = openai.encodeRequest(responses.decodeRequest({ model: 'm', input: 'x', tools }, {}).request).body.tools as { function: Record<string, unknown> }[];
    expect(back.map((t) => t.function.strict)).toEqual([true, undefined]);
  });

  it('reports strictness dropped toward a format without it', () => {
    const { request } = responses.decodeRequest({ model: 'm', input: 'x', tools: [{ type: 'function', name: 'f', strict: true, parameters: { type: 'object' } }] }, {});
    expect(anthropic.encodeRequest(request).dropped).toContain('tools.strict');
    expect(FORMATS.gemini.encodeRequest(request).dropped).toContain('tools.strict');
    expect(openai.encodeRequest(request).dropped).toEqual([]);
  });

  it('lets a Responses client replay Anthropic thinking: its signature rides in encrypted_content and comes back', () => {
    const fromAnthropic = anthropic.decodeResponse({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'tool_use', stop_sequence: null,
      content: [
        { type: 'thinking', thinking: 'Need the tool.', signature: 'anthropic-sig' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
      ],
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    const answer = responses.encodeResponse(fromAnthropic).body as { output: Record<string, unknown>[] };
    const replay = responses.decodeRequest({ model: 'claude', input: [{ role: 'user', content: 'go' }, ...answer.output, { type: 'function_call_output', call_id: 'toolu_1', output: 'ok' }] }, {});
    const upstream = anthropic.encodeRequest(replay.request).body as { messages: { content: Record<string, unknown>[] }[] };
    expect(upstream.messages[1]!.content[0]).toEqual({ type: 'thinking', thinking: 'Need the tool.', signature: 'anthropic-sig' });
  });

  it('drops unsigned thinking toward a Responses upstream, which takes reasoning back only encrypted', () => {
    const { dropped, body } = responses.encodeRequest({
      model: 'm',
      stream: false,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: [{ type: 'thinking', text: 'plain' }, { type: 'text', text: 'a' }] }],
    });
    expect(dropped).toEqual(['thinking']);
    expect(JSON.stringify(body)).not.toContain('plain');
  });
});
