/**
 * OpenAI Chat Completions responses: upstream body -> IR, IR -> client body, plus the error
 * and model-listing shapes. The stop-reason and usage mappings are shared with the stream codec.
 *
 * @module
 */
import type { z } from 'zod';
import { gatewayError } from '../../errors/registry.js';
import type { EncodedBody, ModelListing } from '../wire-format.js';
import type { IRPart, IRResponse, IRStopReason, IRUsage } from '../ir.js';
import { fieldPath } from '../validate.js';
import { responseSchema, type OpenAIUsage } from './schema.js';

/** OpenAI `finish_reason` -> IR stop reason; unknown reasons (DeepSeek `insufficient_system_resource` ...) are `other`. */
export function decodeStopReason(reason: string | null | undefined): IRStopReason {
  switch (reason) {
    case 'stop': return 'end_turn';
    case 'length': return 'max_tokens';
    case 'tool_calls':
    case 'function_call': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return 'other';
  }
}

/** IR stop reason -> `finish_reason`. OpenAI has no stop-sequence or "other" reason: both are `stop`. */
export function encodeStopReason(reason: IRStopReason): string {
  switch (reason) {
    case 'max_tokens': return 'length';
    case 'tool_calls': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return 'stop';
  }
}

/** Wire usage -> IR usage; absent counts are 0. */
export function decodeUsage(usage: OpenAIUsage | null | undefined): IRUsage {
  const out: IRUsage = { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 };
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? usage?.prompt_cache_hit_tokens;
  if (cached != null) out.cachedInputTokens = cached;
  return out;
}

/** IR usage -> wire usage, with the `total_tokens` clients expect. */
export function encodeUsage(usage: IRUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens !== undefined && { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }),
  };
}

/**
 * Validates an upstream body. A malformed upstream answer is the upstream's failure, not the
 * client's, so it is a 502 `upstream_failed` rather than parseBody's 400.
 */
export function parseUpstream<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw gatewayError('upstream_failed', `malformed upstream response: ${fieldPath(issue.path)}: ${issue.message}`);
}

/**
 * Decodes an upstream `chat.completion`. Only the first choice is used (the gateway never asks
 * for `n` > 1). A refusal is model output the client must see, so it becomes text.
 */
export function decodeResponse(raw: unknown): IRResponse {
  const body = parseUpstream(responseSchema, raw);
  const choice = body.choices.find((c) => (c.index ?? 0) === 0) ?? body.choices[0];
  const content: IRPart[] = [];
  const message = choice?.message;
  const reasoning = message?.reasoning_content ?? message?.reasoning;
  if (reasoning) content.push({ type: 'thinking', text: reasoning });
  if (message?.content) content.push({ type: 'text', text: message.content });
  if (message?.refusal) content.push({ type: 'text', text: message.refusal });
  (message?.tool_calls ?? []).forEach((call, i) => {
    content.push({
      type: 'tool_call',
      id: call.id ?? `call_${i}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
    });
  });
  return {
    id: body.id,
    model: body.model ?? '',
    content,
    stopReason: decodeStopReason(choice?.finish_reason),
    usage: decodeUsage(body.usage),
  };
}

/**
 * Encodes an IR response as a client `chat.completion`. Text parts are consecutive pieces of
 * one answer, so they are concatenated; thinking goes to DeepSeek-style `reasoning_content`.
 */
export function encodeResponse(response: IRResponse): EncodedBody {
  const dropped = new Set<string>();
  const text: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: Record<string, unknown>[] = [];
  for (const part of response.content) {
    if (part.type === 'text') text.push(part.text);
    else if (part.type === 'thinking') {
      reasoning.push(part.text);
      if (part.signature) dropped.add('thinking.signature');
    } else if (part.type === 'tool_call') {
      toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
    } else dropped.add(part.type);
  }
  if (response.stopSequence !== undefined) dropped.add('stopSequence');
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text.length ? text.join('') : null,
    refusal: null,
  };
  if (reasoning.length) message.reasoning_content = reasoning.join('');
  if (toolCalls.length) message.tool_calls = toolCalls;
  const body = {
    id: response.id,
    object: 'chat.completion',
    // The IR carries no creation time; the moment of encoding is the closest truth.
    created: Math.floor(Date.now() / 1000),
    model: response.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: encodeStopReason(response.stopReason) }],
    usage: encodeUsage(response.usage),
  };
  return { body, dropped: [...dropped] };
}

/** `error.message` of an OpenAI error body, else undefined. */
export function errorMessage(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
}

/** The `GET /v1/models` listing. */
export function encodeModelList(models: readonly ModelListing[]): unknown {
  return {
    object: 'list',
    data: models.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: m.ownedBy })),
  };
}
