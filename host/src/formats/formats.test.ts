/**
 * Every ordered pair of codecs end to end, the way the gateway chains them: a client body in
 * format A decodes to IR, encodes as format B for the upstream, and the upstream's B answer
 * comes back to the client as A. Each leg must keep the conversation, tools, stop reason and
 * usage intact.
 */
import { describe, expect, it } from 'vitest';
import { coalesce, sampleRequest, sampleResponse, sampleStream, toSse } from './contract.test-suite.js';
import type { WireFormat } from './wire-format.js';
import { FORMATS, formatOfUrl, listingFormat } from './index.js';
import type { IRStreamEvent } from './ir.js';

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

describe.each(pairs)('%s client, %s upstream', (client, upstream) => {
  // describe.each prints objects badly; the names are what matter.
  it(`carries a request ${client.name} -> ${upstream.name}`, () => {
    const clientBody = client.encodeRequest(sampleRequest).body;
    const ir = client.decodeRequest(clientBody, { model: sampleRequest.model, stream: false }).request;
    const upstreamBody = upstream.encodeRequest(ir).body;
    const seen = upstream.decodeRequest(upstreamBody, { model: sampleRequest.model, stream: false }).request;
    expect(seen).toEqual(sampleRequest);
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
