/**
 * OpenAI Responses answers: an upstream Response -> IR, and IR -> the client's Response object
 * (output items, status and `incomplete_details`, usage), with the mappings the stream codec
 * shares.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto';
import type { IRPart, IRResponse, IRStopReason, IRUsage } from '../ir.js';
import { parseUpstream } from '../openai/response.js';
import type { EncodedBody } from '../wire-format.js';
import { type OutputItem, type ResponsesResponse, type ResponsesUsage, responseSchema } from './schema.js';

/** Random bytes for ids, drawn 4 KB at a time: an id is a hex slice of them (a UUID with its dashes removed cost 4x that). */
const entropy = Buffer.alloc(4096);
let drawn = entropy.length;

/** 32 random hex digits. */
function randomHex(): string {
  if (drawn === entropy.length) {
    randomFillSync(entropy);
    drawn = 0;
  }
  drawn += 16;
  return entropy.toString('hex', drawn - 16, drawn);
}

/** A Response id: the upstream's when it is one, else a new one (stored conversations are keyed by it). */
export function responseId(upstreamId: string | undefined): string {
  return upstreamId?.startsWith('resp_') && /^[A-Za-z0-9_-]+$/.test(upstreamId) ? upstreamId : `resp_${randomHex()}`;
}

/** An output item id with `prefix` (`msg`, `fc`, `rs`). */
export function itemId(prefix: string): string {
  return `${prefix}_${randomHex()}`;
}

/** Status and `incomplete_details` for a stop reason. */
export function encodeStatus(reason: IRStopReason): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (reason === 'max_tokens') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The stop reason a Response's status, details and output say. */
export function decodeStatus(body: Pick<ResponsesResponse, 'status' | 'incomplete_details' | 'output'>): IRStopReason {
  const reason = body.incomplete_details?.reason;
  if (body.status === 'incomplete' && reason === 'max_output_tokens') return 'max_tokens';
  if (reason === 'content_filter') return 'content_filter';
  if (body.output.some((item) => item.type === 'function_call')) return 'tool_calls';
  return body.status === 'incomplete' ? 'other' : 'end_turn';
}

export function decodeUsage(usage: ResponsesUsage | null | undefined): IRUsage {
  const out: IRUsage = { inputTokens: usage?.input_tokens ?? 0, outputTokens: usage?.output_tokens ?? 0 };
  // The details are always there; a cache hit of 0 tokens is no cache hit.
  const cached = usage?.input_tokens_details?.cached_tokens;
  if (cached) out.cachedInputTokens = cached;
  return out;
}

export function encodeUsage(usage: IRUsage): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** A reasoning output item as a thinking part: its summary (or raw reasoning text), its encrypted content as the signature. */
export function reasoningPart(item: Pick<OutputItem, 'summary' | 'content' | 'encrypted_content'>): Extract<IRPart, { type: 'thinking' }> {
  const texts = (item.summary?.length ? item.summary : (item.content ?? [])).map((s) => s.text ?? '');
  const part: Extract<IRPart, { type: 'thinking' }> = { type: 'thinking', text: texts.join('\n\n') };
  if (item.encrypted_content) part.signature = item.encrypted_content;
  return part;
}

/** A thinking part as a reasoning output item: the signature travels as `encrypted_content`, for the client to replay. */
export function reasoningItem(id: string, text: string, signature: string | undefined): Record<string, unknown> {
  return { id, type: 'reasoning', summary: text ? [{ type: 'summary_text', text }] : [], ...(signature !== undefined && { encrypted_content: signature }) };
}

/** Decodes an upstream Response; reasoning items become thinking parts (see {@link reasoningPart}). */
export function decodeResponse(raw: unknown): IRResponse {
  const body = parseUpstream(responseSchema, raw);
  const content: IRPart[] = [];
  for (const item of body.output) {
    if (item.type === 'reasoning') content.push(reasoningPart(item));
    else if (item.type === 'message') {
      for (const part of item.content ?? []) {
        const text = part.type === 'refusal' ? part.refusal : part.text;
        if (text) content.push({ type: 'text', text });
      }
    } else if (item.type === 'function_call') {
      content.push({ type: 'tool_call', id: item.call_id ?? item.id ?? '', name: item.name ?? '', arguments: item.arguments ?? '' });
    }
  }
  return { id: body.id, model: body.model ?? '', content, stopReason: decodeStatus(body), usage: decodeUsage(body.usage) };
}

/** The output items of an answer, in its order: reasoning items, messages (one per run of text) and function calls. */
export function outputItems(content: readonly IRPart[]): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  let message: { content: Record<string, unknown>[] } | undefined;
  for (const part of content) {
    if (part.type === 'thinking') {
      items.push(reasoningItem(itemId('rs'), part.text, part.signature));
      message = undefined;
    } else if (part.type === 'text') {
      if (!message) {
        message = { content: [] };
        items.push({ id: itemId('msg'), type: 'message', role: 'assistant', status: 'completed', content: message.content });
      }
      message.content.push({ type: 'output_text', text: part.text, annotations: [], logprobs: [] });
    } else if (part.type === 'tool_call') {
      items.push({ id: itemId('fc'), type: 'function_call', status: 'completed', call_id: part.id, name: part.name, arguments: part.arguments });
      message = undefined;
    }
  }
  return items;
}

/** The Response object with `output` and the rest of its fields. */
export function responseObject(id: string, model: string, createdAt: number, rest: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    model,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    ...rest,
  };
}

/** Encodes an IR answer as the client's Response object. */
export function encodeResponse(response: IRResponse): EncodedBody {
  // Named, not spread: spreading the status into this literal cost ~2.5 µs an answer.
  const { status, incomplete_details } = encodeStatus(response.stopReason);
  const body = responseObject(responseId(response.id), response.model, Math.floor(Date.now() / 1000), {
    status,
    incomplete_details,
    output: outputItems(response.content),
    usage: encodeUsage(response.usage),
  });
  return { body, dropped: response.stopSequence === undefined ? [] : ['stopSequence'] };
}
