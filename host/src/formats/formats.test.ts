/**
 * Every ordered pair of codecs end to end, the way the gateway chains them: a client body in
 * format A decodes to IR, encodes as format B for the upstream, and the upstream's B answer
 * comes back to the client as A. Each leg must keep the conversation, tools, stop reason and
 * usage intact.
 */
import { describe, expect, it } from 'vitest';
import { coalesce, reasoningCases, reasoningRequest, sampleRequest, sampleResponse, sampleStream, toSse } from './contract.test-suite.js';
import type { WireFormat } from './wire-format.js';
import { FORMATS, formatOfUrl, listingFormat } from './index.js';
import type { IRReasoning, IRStreamEvent } from './ir.js';
import { budgetLevel, LEVEL_BUDGETS } from './reasoning.js';

const codecs = Object.values(FORMATS);
const pairs = codecs.flatMap((client) => codecs.map((upstream) => [client, upstream] as const));

/** IR events -> `codec` wire events -> IR events again. */
function throughWire(codec: WireFormat, events: IRStreamEvent[]): IRStreamEvent[] {
  const encoder = codec.createStreamEncoder();
  const wire = [...events.flatMap((e) => encoder.encode(e)), ...encoder.end()];
  const decoder = codec.createStreamDecoder();
  return wire.flatMap((w) => decoder.decode(toSse(w)));
}

/** Stream events by content, independent of how a format chunks or orders its terminal events. */
function summary(events: IRStreamEvent[]) {
  const merged = coalesce(events);
  return {
    text: merged.filter((e) => e.type === 'text'),
    calls: merged.filter((e) => e.type === 'tool_call_start' || e.type === 'tool_call_delta'),
    finish: merged.filter((e) => e.type === 'finish'),
    usage: merged.filter((e) => e.type === 'usage'),
  };
}

/**
 * A reasoning setting as a format can say it: OpenAI has only levels (a budget becomes its level
 * by the table, and auto is saying nothing), Anthropic and Gemini take budgets (a level becomes
 * its budget by the table, a budget stays the same number).
 */
function inTermsOf(format: WireFormat, reasoning: IRReasoning | undefined): IRReasoning | undefined {
  if (reasoning === undefined) return undefined;
  if (format.name === 'openai' || format.name === 'openai-responses') {
    if (reasoning.mode === 'auto') return undefined;
    return reasoning.mode === 'budget' ? { mode: 'level', level: budgetLevel(reasoning.budget) } : reasoning;
  }
  return reasoning.mode === 'level' ? { mode: 'budget', budget: LEVEL_BUDGETS[reasoning.level] } : reasoning;
}

describe.each(pairs)('%s client, %s upstream', (client, upstream) => {
  it(`carries reasoning ${client.name} -> ${upstream.name} by the table, without reporting it dropped`, () => {
    const options = { model: 'some-model', stream: false };
    for (const reasoning of reasoningCases) {
      const clientBody = client.encodeRequest(reasoningRequest(reasoning)).body;
      const decoded = client.decodeRequest(clientBody, options);
      const encoded = upstream.encodeRequest(decoded.request);
      expect([...decoded.unmapped, ...encoded.dropped], JSON.stringify(reasoning)).toEqual([]);
      const seen = upstream.decodeRequest(encoded.body, options).request.reasoning;
      expect(seen, JSON.stringify(reasoning)).toEqual(inTermsOf(upstream, inTermsOf(client, reasoning)));
    }
  });

  // describe.each prints objects badly; the names are what matter.
  it(`carries a request ${client.name} -> ${upstream.name}`, () => {
    const { body: clientBody, dropped: clientDropped } = client.encodeRequest(sampleRequest);
    const ir = client.decodeRequest(clientBody, { model: sampleRequest.model, stream: false }).request;
    const { body: upstreamBody, dropped: upstreamDropped } = upstream.encodeRequest(ir);
    const dropped = [...clientDropped, ...upstreamDropped];
    const seen = upstream.decodeRequest(upstreamBody, { model: sampleRequest.model, stream: false }).request;
    // A format without a field for a request-level setting says so (Responses has no stop sequences).
    const expected: Record<string, unknown> = { ...sampleRequest };
    for (const field of dropped) delete expected[field];
    expect(dropped.every((field) => ['stopSequences', 'topK'].includes(field))).toBe(true);
    expect(seen).toEqual(expected);
  });

  it(`carries a response ${upstream.name} -> ${client.name}`, () => {
    const ir = upstream.decodeResponse(upstream.encodeResponse(sampleResponse).body);
    const got = client.decodeResponse(client.encodeResponse(ir).body);
    expect(got.content).toEqual(sampleResponse.content);
    expect(got.stopReason).toBe(sampleResponse.stopReason);
    expect(got.usage).toMatchObject(sampleResponse.usage);
  });

  it(`carries a stream ${upstream.name} -> ${client.name}`, () => {
    const got = throughWire(client, throughWire(upstream, sampleStream));
    expect(summary(got)).toEqual(summary(sampleStream));
  });
});

describe('the format registry', () => {
  it('gives every endpoint to exactly one format', () => {
    const urls = codecs.flatMap((f) => f.endpoints.map((e) => e.url));
    expect(new Set(urls).size).toBe(urls.length);
  });

  it('finds the format of an unrouted URL by its longest prefix, OpenAI by default', () => {
    expect(formatOfUrl('/v1beta/models/x:nope').name).toBe('gemini');
    expect(formatOfUrl('/v1/messages/batches').name).toBe('anthropic');
    expect(formatOfUrl('/v1/embeddings').name).toBe('openai');
    expect(formatOfUrl('/nowhere').name).toBe('openai');
  });

  it('answers a listing URL shared by formats in the one the request claims', () => {
    expect(listingFormat('/v1/models', { 'anthropic-version': '2023-06-01' })?.name).toBe('anthropic');
    expect(listingFormat('/v1/models', {})?.name).toBe('openai');
    expect(listingFormat('/v1beta/models', {})?.name).toBe('gemini');
  });
});

describe('reasoning across formats, on the wire', () => {
  const { openai, anthropic, gemini } = FORMATS;
  const hello = { role: 'user', content: 'Hello' };
  const geminiHello = [{ role: 'user', parts: [{ text: 'Hello' }] }];

  /** The upstream body and the x-switchyard-dropped list of a translated request, as the pipeline builds them. */
  function translate(client: WireFormat, upstream: WireFormat, body: unknown, model = 'm') {
    const decoded = client.decodeRequest(body, { model, stream: false });
    const encoded = upstream.encodeRequest({ ...decoded.request, model });
    return { body: encoded.body, dropped: [...decoded.unmapped, ...encoded.dropped] };
  }

  it('keeps an Anthropic budget a budget for Gemini: budget_tokens 8192 -> thinkingBudget 8192', () => {
    const out = translate(anthropic, gemini, { model: 'm', max_tokens: 10000, thinking: { type: 'enabled', budget_tokens: 8192 }, messages: [hello] });
    expect(out.body.generationConfig).toEqual({ maxOutputTokens: 10000, thinkingConfig: { thinkingBudget: 8192 } });
    expect(out.dropped).toEqual([]);
  });

  it('keeps a Gemini budget a budget for Anthropic, max_tokens kept above it', () => {
    const out = translate(gemini, anthropic, { contents: geminiHello, generationConfig: { maxOutputTokens: 2000, thinkingConfig: { thinkingBudget: 5000 } } });
    expect(out.body.thinking).toEqual({ type: 'enabled', budget_tokens: 5000 });
    expect(out.body.max_tokens).toBe(7000);
    expect(out.dropped).toEqual([]);
  });

  it.each([
    [1024, 'low'],
    [8192, 'medium'],
    [20000, 'medium'],
    [24576, 'high'],
    [32000, 'high'],
  ])('gives OpenAI the level of an Anthropic budget by the table: %i -> %s', (budget, effort) => {
    const out = translate(anthropic, openai, { model: 'm', max_tokens: 40000, thinking: { type: 'enabled', budget_tokens: budget }, messages: [hello] });
    expect(out.body.reasoning_effort).toBe(effort);
    expect(out.dropped).toEqual([]);
  });

  it('gives Anthropic the budget of an OpenAI level by the table, max_tokens above it', () => {
    const out = translate(openai, anthropic, { model: 'm', max_tokens: 1000, reasoning_effort: 'high', messages: [hello] });
    expect(out.body.thinking).toEqual({ type: 'enabled', budget_tokens: 24576 });
    expect(out.body.max_tokens).toBe(24576 + 1000);
    expect(out.dropped).toEqual([]);
  });

  it('gives Anthropic the API minimum of 1024 for OpenAI minimal (512 by the table)', () => {
    const out = translate(openai, anthropic, { model: 'm', reasoning_effort: 'minimal', messages: [hello] });
    expect(out.body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(out.body.max_tokens).toBe(4096);
  });

  it('gives Gemini the budget of an OpenAI level by the table', () => {
    const out = translate(openai, gemini, { model: 'm', reasoning_effort: 'low', messages: [hello] });
    expect(out.body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024 } });
    expect(out.dropped).toEqual([]);
  });

  it("sends Gemini's dynamic budget (-1) to Anthropic as adaptive thinking, max_tokens unchanged", () => {
    const out = translate(gemini, anthropic, { contents: geminiHello, generationConfig: { maxOutputTokens: 300, thinkingConfig: { thinkingBudget: -1 } } });
    expect(out.body.thinking).toEqual({ type: 'adaptive' });
    expect(out.body.max_tokens).toBe(300);
    expect(out.dropped).toEqual([]);
  });

  it("sends Gemini's dynamic budget to OpenAI as no reasoning_effort (the upstream's default)", () => {
    const out = translate(gemini, openai, { contents: geminiHello, generationConfig: { thinkingConfig: { thinkingBudget: -1 } } });
    expect(out.body).not.toHaveProperty('reasoning_effort');
    expect(out.dropped).toEqual([]);
  });

  it("sends Anthropic's adaptive thinking to Gemini as the dynamic budget", () => {
    const out = translate(anthropic, gemini, { model: 'm', max_tokens: 100, thinking: { type: 'adaptive' }, messages: [hello] });
    expect(out.body.generationConfig).toEqual({ maxOutputTokens: 100, thinkingConfig: { thinkingBudget: -1 } });
  });

  it('carries off everywhere: OpenAI none -> Anthropic disabled, Gemini 0; Gemini 0 -> OpenAI none', () => {
    expect(translate(openai, anthropic, { model: 'm', reasoning_effort: 'none', messages: [hello] }).body.thinking).toEqual({ type: 'disabled' });
    expect(translate(openai, gemini, { model: 'm', reasoning_effort: 'none', messages: [hello] }).body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(translate(gemini, openai, { contents: geminiHello, generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }).body.reasoning_effort).toBe('none');
    expect(translate(anthropic, openai, { model: 'm', max_tokens: 5, thinking: { type: 'disabled' }, messages: [hello] }).body.reasoning_effort).toBe('none');
  });

  it("gives a Gemini 3 thinkingLevel to OpenAI as that level and to Anthropic as the level's budget", () => {
    const body = { contents: geminiHello, generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } };
    expect(translate(gemini, openai, body).body.reasoning_effort).toBe('high');
    expect(translate(gemini, anthropic, body).body.thinking).toEqual({ type: 'enabled', budget_tokens: 24576 });
  });

  it('drops, and reports, the sampling settings Anthropic refuses beside thinking', () => {
    const out = translate(openai, anthropic, {
      model: 'm', reasoning_effort: 'medium', temperature: 0.2, top_p: 0.5, messages: [hello],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }], tool_choice: 'required',
    });
    expect(out.body).not.toHaveProperty('temperature');
    expect(out.body).not.toHaveProperty('top_p');
    expect(out.body).not.toHaveProperty('tool_choice');
    expect(out.dropped.sort()).toEqual(['temperature', 'toolChoice', 'topP']);
    // Without reasoning they all go through.
    const plain = translate(openai, anthropic, { model: 'm', temperature: 0.2, top_p: 0.5, messages: [hello] });
    expect(plain.body).toMatchObject({ temperature: 0.2, top_p: 0.5 });
    expect(plain.dropped).toEqual([]);
  });

  it('leaves thinking off, and reports reasoning dropped, in a tool loop whose last call carries no signed thinking', () => {
    const out = translate(openai, anthropic, {
      model: 'm',
      reasoning_effort: 'high',
      messages: [
        hello,
        { role: 'assistant', content: null, reasoning_content: 'unsigned', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'done' },
      ],
    });
    expect(out.body).not.toHaveProperty('thinking');
    expect(out.dropped.sort()).toEqual(['reasoning', 'thinking']);
  });

  it('turns thinking on in a tool loop whose last call opens with a signed thinking block', () => {
    const out = translate(gemini, anthropic, {
      contents: [
        ...geminiHello,
        { role: 'model', parts: [{ text: 'plan', thought: true, thoughtSignature: 'sig' }, { functionCall: { id: 'c1', name: 'f', args: {} } }] },
        { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'f', response: { result: 'done' } } }] },
      ],
      generationConfig: { thinkingConfig: { thinkingBudget: 2048 } },
    });
    expect(out.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(out.dropped).toEqual([]);
  });
});

describe('structured output', () => {
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  it('a Responses text.format reaches a Chat upstream as response_format, and back', () => {
    const { request } = FORMATS['openai-responses'].decodeRequest({ model: 'm', input: 'hi', text: { format: { type: 'json_schema', name: 'place', schema, strict: true } } }, {});
    const chat = FORMATS.openai.encodeRequest(request);
    expect(chat.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'place', schema, strict: true } });
    expect(chat.dropped).toEqual([]);
    const back = FORMATS['openai-responses'].encodeRequest(FORMATS.openai.decodeRequest(chat.body, {}).request);
    expect(back.body.text).toEqual({ format: { type: 'json_schema', name: 'place', schema, strict: true } });
  });

  it('reaches Gemini as a JSON response schema, and is reported dropped toward Anthropic', () => {
    const { request } = FORMATS.openai.decodeRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_schema', json_schema: { name: 'place', schema } } }, {});
    expect(FORMATS.gemini.encodeRequest(request).body.generationConfig).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(FORMATS.anthropic.encodeRequest(request).dropped).toContain('responseFormat');
  });
});
