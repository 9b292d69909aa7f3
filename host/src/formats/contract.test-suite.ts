/**
 * The shared contract every {@link WireFormat} passes (hono's `runTest` idea): encoding the
 * IR and decoding it again gives the IR back, for requests, responses and streams. Because any
 * translation A -> B is `A.decode` then `B.encode`, a codec that passes this suite composes with
 * every other one. Each codec's test file calls {@link runCodecContract}; `formats.test.ts`
 * also runs every ordered pair end to end.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/registry.js';
import type { DecodeOptions, WireFormat, SseEvent, WireEvent } from './wire-format.js';
import type { IRReasoning, IRRequest, IRResponse, IRStreamEvent } from './ir.js';
import { budgetLevel, LEVEL_BUDGETS } from './reasoning.js';
import { SseParser } from '../upstream/sse.js';
import { FORMATS } from './index.js';

export const sampleRequest: IRRequest = {
  model: 'some-model',
  system: 'You are terse.',
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', toolCallId: 'call_1', name: 'get_weather', content: '{"temp":21}' }],
    },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'And what is in this picture?' },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
      ],
    },
  ],
  tools: [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
  toolChoice: { type: 'auto' },
  maxTokens: 256,
  temperature: 0.5,
  topP: 0.9,
  stopSequences: ['END'],
  stream: false,
};

export const sampleResponse: IRResponse = {
  id: 'resp_1',
  model: 'some-model',
  content: [
    { type: 'text', text: 'Calling the tool.' },
    { type: 'tool_call', id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' },
  ],
  stopReason: 'tool_calls',
  usage: { inputTokens: 12, outputTokens: 7 },
};

export const sampleStream: IRStreamEvent[] = [
  { type: 'start', id: 'resp_2', model: 'some-model' },
  { type: 'text', text: 'Hel' },
  { type: 'text', text: 'lo' },
  { type: 'tool_call_start', index: 0, id: 'call_3', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
  { type: 'tool_call_delta', index: 0, arguments: '"Rome"}' },
  { type: 'finish', stopReason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 5, outputTokens: 3 } },
];

/**
 * Reasoning settings every format carries: budgets on and off the table, levels, off and auto.
 * (Not `minimal` or budgets under 1024: Anthropic raises them to its minimum of 1024.)
 */
export const reasoningCases: readonly IRReasoning[] = [
  { mode: 'budget', budget: 8192 },
  { mode: 'budget', budget: 3000 },
  { mode: 'level', level: 'high' },
  { mode: 'level', level: 'low' },
  { mode: 'off' },
  { mode: 'auto' },
];

/** A plain request (no sampling settings, which Anthropic refuses beside thinking) with `reasoning`. */
export function reasoningRequest(reasoning?: IRReasoning): IRRequest {
  return {
    model: 'some-model',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Think first.' }] }],
    maxTokens: 256,
    stream: false,
    ...(reasoning && { reasoning }),
  };
}

/**
 * What a format may read back for `sent` after writing it: the same setting, or, in a format
 * with only the other form, its counterpart by the table (a budget as its level, a level as its
 * budget). `auto` may come back unset from a format whose way of asking for the upstream's
 * default is to send no setting (OpenAI).
 */
export function reasoningReadings(sent: IRReasoning): (IRReasoning | undefined)[] {
  switch (sent.mode) {
    case 'budget': return [sent, { mode: 'level', level: budgetLevel(sent.budget) }];
    case 'level': return [sent, { mode: 'budget', budget: LEVEL_BUDGETS[sent.level] }];
    case 'off': return [sent];
    case 'auto': return [sent, undefined];
  }
}

/** Serialises a client-bound event the way the HTTP layer does, for feeding a decoder. */
export function toSse(event: WireEvent): SseEvent {
  return { event: event.event, data: typeof event.data === 'string' ? event.data : JSON.stringify(event.data) };
}

/** Runs IR events through `encoder` then `decoder` and returns the decoded IR events. */
export function streamRoundTrip(from: WireFormat, to: WireFormat, events: IRStreamEvent[]): IRStreamEvent[] {
  const encoder = from.createStreamEncoder();
  const wire = [...events.flatMap((e) => encoder.encode(e)), ...encoder.end()];
  const decoder = to.createStreamDecoder();
  return wire.flatMap((w) => decoder.decode(toSse(w)));
}

/** Merges consecutive text deltas and tool-call deltas so streams compare by content, not chunking. */
export function coalesce(events: IRStreamEvent[]): IRStreamEvent[] {
  const out: IRStreamEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + e.text };
    else if (e.type === 'tool_call_delta' && last?.type === 'tool_call_delta' && last.index === e.index)
      out[out.length - 1] = { ...last, arguments: last.arguments + e.arguments };
    else out.push(e);
  }
  return out;
}

/**
 * Asserts that `codec` refuses to decode `body` with a 400 `invalid_body` whose message starts
 * with the path of the offending `field`.
 */
export function expectInvalidBody(codec: WireFormat, body: unknown, field: string, options: DecodeOptions = {}): void {
  let error: unknown;
  try {
    codec.decodeRequest(body, options);
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a 400 invalid_body').toBeInstanceOf(GatewayError);
  const { status, code, message } = error as GatewayError;
  expect(status).toBe(400);
  expect(code).toBe('invalid_body');
  expect(message.startsWith(`${field}: `), `message "${message}" starts with "${field}: "`).toBe(true);
}

/** The behaviour every codec must have. */
export function runCodecContract(codec: WireFormat): void {
  describe(`${codec.name} codec contract`, () => {
    it('decodes its own encoded request back to the same IR, but for what its encoder reported dropped', () => {
      const { body, dropped } = codec.encodeRequest(sampleRequest);
      const { request } = codec.decodeRequest(body, { model: sampleRequest.model, stream: false });
      // Only request-level settings a format has no field for may be dropped (Responses has no stop sequences).
      expect(dropped.every((field) => ['stopSequences', 'topK'].includes(field))).toBe(true);
      const expected: Record<string, unknown> = { ...sampleRequest };
      for (const field of dropped) delete expected[field];
      expect(request).toEqual(expected);
    });

    describe.each(reasoningCases.map((r) => [JSON.stringify(r), r] as const))('reasoning %s', (_name, reasoning) => {
      const options = { model: 'some-model', stream: false };

      it('encodes and decodes back to the same reasoning (modulo the table), reporting nothing dropped', () => {
        const encoded = codec.encodeRequest(reasoningRequest(reasoning));
        expect(encoded.dropped).toEqual([]);
        const decoded = codec.decodeRequest(encoded.body, options);
        expect(decoded.unmapped).toEqual([]);
        expect(reasoningReadings(reasoning)).toContainEqual(decoded.request.reasoning);
      });

      it('applies it to a body of its own format, over any setting the body had, leaving the body untouched', () => {
        for (const before of [undefined, ...reasoningCases]) {
          const body = codec.encodeRequest(reasoningRequest(before)).body;
          const snapshot = structuredClone(body);
          const applied = codec.applyReasoning(body, reasoning);
          expect(body).toEqual(snapshot);
          const decoded = codec.decodeRequest(applied, options);
          expect(decoded.unmapped).toEqual([]);
          expect(reasoningReadings(reasoning)).toContainEqual(decoded.request.reasoning);
          expect(decoded.request.messages).toEqual(reasoningRequest().messages);
        }
      });

      it('applies it the way the encoder writes it, and applying it again changes nothing', () => {
        // The host encodes a suffix's setting into a translated body, then applies it once more.
        const plain = codec.encodeRequest(reasoningRequest()).body;
        const encoded = codec.encodeRequest(reasoningRequest(reasoning)).body;
        expect(codec.applyReasoning(plain, reasoning)).toEqual(encoded);
        expect(codec.applyReasoning(encoded, reasoning)).toEqual(encoded);
      });
    });

    it('decodes its own encoded response back to the same IR (ids of tool calls kept)', () => {
      const { body } = codec.encodeResponse(sampleResponse);
      const decoded = codec.decodeResponse(body);
      expect(decoded.content).toEqual(sampleResponse.content);
      expect(decoded.stopReason).toBe('tool_calls');
      expect(decoded.usage).toMatchObject(sampleResponse.usage);
    });

    it('decodes its own encoded stream back to the same events', () => {
      const decoded = coalesce(streamRoundTrip(codec, codec, sampleStream));
      const byType = (t: IRStreamEvent['type']) => decoded.filter((e) => e.type === t);
      expect(byType('text')).toEqual([{ type: 'text', text: 'Hello' }]);
      expect(byType('tool_call_start')).toEqual([{ type: 'tool_call_start', index: 0, id: 'call_3', name: 'get_weather' }]);
      expect(byType('tool_call_delta').map((e) => (e as { arguments: string }).arguments).join('')).toBe('{"city":"Rome"}');
      expect(byType('finish')).toEqual([{ type: 'finish', stopReason: 'tool_calls' }]);
      expect(byType('usage')).toEqual([{ type: 'usage', usage: { inputTokens: 5, outputTokens: 3 } }]);
      expect(decoded[0]).toMatchObject({ type: 'start' });
    });

    it('ends a failed stream with an error event and no clean ending', () => {
      const encoder = codec.createStreamEncoder();
      encoder.encode({ type: 'start', id: 'x', model: 'm' });
      encoder.encode({ type: 'text', text: 'partial' });
      const failed = encoder.fail('upstream cut');
      expect(failed.length).toBeGreaterThan(0);
      expect(JSON.stringify(failed)).toContain('upstream cut');
      expect(JSON.stringify(failed)).not.toContain('[DONE]');
      expect(JSON.stringify(failed)).not.toContain('message_stop');
    });

    it('flags every stream event that finishes or fails a stream (mayCarryOutcome), and not the plain deltas', () => {
      const encoder = codec.createStreamEncoder();
      const finished = [...sampleStream.flatMap((e) => encoder.encode(e)), ...encoder.end()].map(toSse);
      const failing = codec.createStreamEncoder();
      failing.encode({ type: 'start', id: 'x', model: 'm' });
      const failed = [...failing.encode({ type: 'text', text: 'partial' }), ...failing.fail('upstream cut')].map(toSse);
      // Upstreams differ in spacing (Gemini pretty-prints its JSON): both spellings must be caught.
      const spaced = (e: SseEvent): SseEvent => (e.data.startsWith('{') ? { ...e, data: JSON.stringify(JSON.parse(e.data), null, 1) } : e);
      let skipped = 0;
      for (const events of [finished, failed, finished.map(spaced), failed.map(spaced)]) {
        const decoder = codec.createStreamDecoder();
        for (const event of events) {
          let matters: boolean;
          try {
            matters = decoder.decode(event).some((e) => e.type === 'finish');
          } catch {
            matters = true;
          }
          if (matters) expect(codec.mayCarryOutcome(event), event.data).toBe(true);
          else if (!codec.mayCarryOutcome(event)) skipped++;
        }
      }
      expect(skipped).toBeGreaterThan(0);
    });

    it('rejects a body with a wrong field type, naming the field', () => {
      expect(() => codec.decodeRequest({ messages: 'nope', contents: 'nope', input: 42 }, { model: 'm' })).toThrow(/messages|contents|input/);
    });

    it('lists models in its own listing shape (or another format’s), which its upstream side reads back', () => {
      const listing = codec.listing ?? FORMATS.openai.listing!;
      const body = listing.encodeList([{ id: 'm1', ownedBy: 'p', created: 1 }, { id: 'm2', ownedBy: 'p', created: 1 }]);
      expect(codec.upstream.parseModelList(body)).toEqual(['m1', 'm2']);
      if (listing.encodeItem) expect(JSON.stringify(listing.encodeItem({ id: 'm1', ownedBy: 'p', created: 1 }))).toContain('m1');
    });

    it('renders errors in its own shape, which its upstream side reads the message of', () => {
      for (const status of [400, 401, 403, 404, 413, 429, 500, 502, 503]) {
        const body = codec.errorBody(status, 'some_code', `failure ${status}`);
        expect(codec.errorMessage(JSON.parse(JSON.stringify(body)))).toBe(`failure ${status}`);
      }
    });

    it('frames a stream so that a reader of its format gets the same events back', () => {
      for (const query of [{}, { alt: 'sse' }]) {
        const framing = codec.framing(query);
        const encoder = codec.createStreamEncoder();
        const events = [...sampleStream.flatMap((e) => encoder.encode(e)), ...encoder.end()];
        let text = '';
        let count = 0;
        for (const event of events) {
          const frame = framing.frame(event, count);
          if (frame === undefined) continue;
          text += frame;
          count++;
        }
        text += framing.end(count);
        const framed = events.filter((e) => !(e.raw && framing.frame(e, 1) === undefined));
        if (framing.headers['content-type']!.startsWith('text/event-stream')) {
          const parsed = new SseParser().push(text);
          expect(parsed).toEqual(framed.map(toSse));
        } else {
          expect(JSON.parse(text)).toEqual(framed.map((e) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data)));
        }
      }
    });

    it("reads an executor plugin's bare events like its own stream events", () => {
      const encoder = codec.createStreamEncoder();
      const wire = [...sampleStream.flatMap((e) => encoder.encode(e)), ...encoder.end()].filter((e) => typeof e.data === 'object');
      const direct = codec.createStreamDecoder();
      const viaExecutor = codec.createStreamDecoder();
      for (const event of wire) {
        expect(viaExecutor.decode(codec.upstream.executorEvent(event.data))).toEqual(direct.decode(toSse(event)));
      }
    });

    it('says every known kind of upstream failure so that its upstream side reads the same kind back', () => {
      const kinds = ['context_length', 'rate_limit', 'overloaded', 'authentication', 'permission', 'not_found', 'content_filter'] as const;
      for (const kind of kinds) {
        const answer = codec.kindError({ kind, tokens: 130_512, limit: 128_000 }, 'the upstream said so');
        const read = codec.upstream.errorKind(answer.status, JSON.stringify(answer.body));
        // A content filter refusal is a plain 400 in the formats without a code for it.
        if (read === undefined) expect(kind).toBe('content_filter');
        else expect(read).toEqual(kind === 'context_length' ? { kind, tokens: 130_512, limit: 128_000 } : { kind });
      }
    });

    it('serves endpoints whose operations say what they ask for', () => {
      expect(codec.endpoints.length).toBeGreaterThan(0);
      const kinds = new Set<string>();
      for (const endpoint of codec.endpoints) {
        const params = Object.fromEntries([...endpoint.url.matchAll(/:(\w+)/g)].map(([, name]) => [name!, 'some-model:generateContent']));
        kinds.add(endpoint.operation(params).kind);
      }
      expect(kinds.has('generate')).toBe(true);
      if (codec.count) expect(codec.count.encodeResponse(42)).toBeTypeOf('object');
    });

    it('authenticates upstream calls with the key, and counts where its API can', () => {
      const headers = codec.upstream.authHeaders('sk-secret');
      expect(Object.values(headers)).toContainEqual(expect.stringContaining('sk-secret'));
      expect(codec.upstream.chatPath('/base', 'm', false).startsWith('/base/')).toBe(true);
      expect(codec.upstream.modelsPath('/base').startsWith('/base/')).toBe(true);
      const count = codec.upstream.count;
      if (count) {
        expect(count.path('/base', 'm').startsWith('/base/')).toBe(true);
        expect(count.body(codec.encodeRequest(sampleRequest).body, 'm')).toBeTypeOf('object');
        // A client count answer of this format is what its upstream's count answer looks like.
        if (codec.count) expect(count.result(codec.count.encodeResponse(42))).toBe(42);
      }
    });
  });
}
