/**
 * The official `openai` SDK reads what the Responses codec writes: encoded stream events, framed
 * as the host frames them, served by a local HTTP server to `responses.stream()` and
 * `responses.create()`, and a non-stream answer to `responses.create()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IRResponse, IRStreamEvent } from '../ir.js';
import { openaiResponsesFormat as responses } from './index.js';

/** What the server answers next: the IR of a stream (and whether it breaks), or of a whole answer. */
let next: { stream: IRStreamEvent[]; fail?: string } | { answer: IRResponse };
let received: Record<string, unknown>[] = [];
let server: Server;
let client: OpenAI;

/** The SSE text the host writes for `events`: the codec's encoder through the codec's framing. */
function sseText(events: IRStreamEvent[], fail?: string): { headers: Readonly<Record<string, string>>; text: string } {
  const encoder = responses.createStreamEncoder();
  const framing = responses.framing({});
  const wire = [...events.flatMap((e) => encoder.encode(e)), ...(fail === undefined ? encoder.end() : encoder.fail(fail))];
  let text = '';
  wire.forEach((event, index) => {
    text += framing.frame(event, index) ?? '';
  });
  return { headers: framing.headers, text: text + framing.end(wire.length) };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      if ('answer' in next) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(responses.encodeResponse(next.answer).body));
        return;
      }
      const { headers, text } = sseText(next.stream, next.fail);
      res.writeHead(200, headers);
      // In small pieces, as a network delivers them.
      for (let i = 0; i < text.length; i += 97) res.write(text.slice(i, i + 97));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
});

/** The text of a Response's message items (the stream helper's final Response has no `output_text`). */
function textOf(response: OpenAI.Responses.Response): string {
  return response.output.flatMap((item) => (item.type === 'message' ? item.content.map((c) => (c.type === 'output_text' ? c.text : '')) : [])).join('');
}

const textAndCall: IRStreamEvent[] = [
  { type: 'start', id: 'msg_01', model: 'claude-sonnet-4-6' },
  { type: 'thinking', text: 'The user wants weather.' },
  { type: 'thinking', text: '', signature: 'sig-1' },
  { type: 'text', text: 'Let me ' },
  { type: 'text', text: 'check.' },
  { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
  { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
  { type: 'finish', stopReason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 42, outputTokens: 17, cachedInputTokens: 10 } },
];

describe('the openai SDK reads the Responses codec', () => {
  it('responses.stream() gets every event and a final response with the text, the function call and usage', async () => {
    next = { stream: textAndCall };
    const stream = client.responses.stream({ model: 'claude-sonnet-4-6', input: 'Weather in Paris?' });
    const types: string[] = [];
    let deltas = '';
    stream.on('event', (e) => types.push(e.type));
    stream.on('response.output_text.delta', (e) => (deltas += e.delta));
    const final = await stream.finalResponse();
    expect(received[0]).toMatchObject({ model: 'claude-sonnet-4-6', input: 'Weather in Paris?', stream: true });
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(deltas).toBe('Let me check.');
    expect(final.status).toBe('completed');
    expect(final.id).toMatch(/^resp_/);
    expect(textOf(final)).toBe('Let me check.');
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(final.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'The user wants weather.' }], encrypted_content: 'sig-1' });
    expect(final.output[2]).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(final.usage).toEqual({
      input_tokens: 42,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens: 17,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 59,
    });
  });

  it('responses.create({stream: true}) iterates the same events with increasing sequence numbers', async () => {
    next = { stream: textAndCall };
    const stream = await client.responses.create({ model: 'm', input: 'x', stream: true });
    const seen: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) seen.push(event);
    expect(seen.map((e) => e.sequence_number)).toEqual(seen.map((_, i) => i));
    expect(seen.filter((e) => e.type === 'response.completed')).toHaveLength(1);
  });

  it('a broken stream ends in response.failed, which the SDK takes without throwing on a stray error field', async () => {
    next = { stream: [{ type: 'start', id: 'x', model: 'm' }, { type: 'text', text: 'partial' }], fail: 'upstream cut' };
    const stream = client.responses.stream({ model: 'm', input: 'x' });
    const failed: unknown[] = [];
    stream.on('response.failed', (e) => failed.push(e.response));
    const final = await stream.finalResponse();
    expect(failed).toEqual([expect.objectContaining({ status: 'failed', error: { code: 'server_error', message: 'upstream cut' } })]);
    expect(final.status).not.toBe('completed');
  });

  it('a max_tokens stop arrives as response.incomplete with its reason', async () => {
    next = { stream: [{ type: 'text', text: 'Once upon' }, { type: 'finish', stopReason: 'max_tokens' }, { type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } }] };
    const stream = client.responses.stream({ model: 'm', input: 'x' });
    const incomplete: unknown[] = [];
    stream.on('response.incomplete', (e) => incomplete.push(e.response));
    const final = await stream.finalResponse();
    expect(textOf(final)).toBe('Once upon');
    expect(incomplete).toEqual([expect.objectContaining({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } })]);
  });

  it('responses.create() reads a whole answer: output_text, the function call and usage', async () => {
    next = {
      answer: {
        id: 'chatcmpl-1',
        model: 'gpt-4.1',
        content: [
          { type: 'text', text: 'Calling.' },
          { type: 'tool_call', id: 'call_2', name: 'lookup', arguments: '{"q":"x"}' },
        ],
        stopReason: 'tool_calls',
        usage: { inputTokens: 9, outputTokens: 4 },
      },
    };
    const res = await client.responses.create({ model: 'gpt-4.1', input: 'x' });
    expect(res.object).toBe('response');
    expect(res.status).toBe('completed');
    expect(res.output_text).toBe('Calling.');
    expect(res.output[1]).toMatchObject({ type: 'function_call', call_id: 'call_2', name: 'lookup', arguments: '{"q":"x"}' });
    expect(res.usage).toMatchObject({ input_tokens: 9, output_tokens: 4, total_tokens: 13 });
  });
});
