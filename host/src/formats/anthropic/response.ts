/**
 * Anthropic Messages responses: upstream body -> IR, IR -> client body; stop reasons, usage,
 * error bodies and the model listing.
 *
 * @module
 */
import { gatewayError } from '../../errors/registry.js';
import type { EncodedBody, ModelListing } from '../wire-format.js';
import type { IRPart, IRResponse, IRStopReason, IRUsage } from '../ir.js';
import { fieldPath } from '../validate.js';
import { toolInput } from './request.js';
import { responseSchema } from './schema.js';

const STOP_REASONS = new Map<string, IRStopReason>([
  ['end_turn', 'end_turn'],
  ['max_tokens', 'max_tokens'],
  ['stop_sequence', 'stop_sequence'],
  ['tool_use', 'tool_calls'],
  ['refusal', 'content_filter'],
  // The context window ran out: a length stop, which other formats call max_tokens / "length".
  ['model_context_window_exceeded', 'max_tokens'],
]);

/** Maps an Anthropic `stop_reason` to the IR (`pause_turn`, unknown and null give `other`). */
export function decodeStopReason(reason: string | null | undefined): IRStopReason {
  return (reason != null && STOP_REASONS.get(reason)) || 'other';
}

/** Maps an IR stop reason to Anthropic's. `other` has no counterpart; `end_turn` is the safe ending. */
export function encodeStopReason(reason: IRStopReason): string {
  switch (reason) {
    case 'tool_calls': return 'tool_use';
    case 'content_filter': return 'refusal';
    case 'other': return 'end_turn';
    default: return reason;
  }
}

/** Anthropic usage counters as they appear in responses, `message_start` and `message_delta`. */
export interface WireUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * Anthropic's `input_tokens` excludes cache reads and writes, while OpenAI `prompt_tokens` and
 * Gemini `promptTokenCount` include cached tokens. The IR follows the inclusive convention, so
 * decoding adds the cache counters back in and encoding takes the cached part out again.
 */
export function decodeUsage(usage: WireUsage): IRUsage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const ir: IRUsage = {
    inputTokens: (usage.input_tokens ?? 0) + cached + (usage.cache_creation_input_tokens ?? 0),
    outputTokens: usage.output_tokens ?? 0,
  };
  // Anthropic reports 0 when nothing was cached; the IR leaves the field out then.
  if (cached > 0) ir.cachedInputTokens = cached;
  return ir;
}

/** Encodes IR usage as Anthropic counters (see {@link decodeUsage} for the cache arithmetic). */
export function encodeUsage(usage: IRUsage): Record<string, number> {
  const cached = usage.cachedInputTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cached),
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** Decodes an upstream Messages response. A malformed body is an upstream failure (502). */
export function decodeResponse(body: unknown): IRResponse {
  const result = responseSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw gatewayError('upstream_failed', `invalid Anthropic response: ${fieldPath(issue.path)}: ${issue.message}`);
  }
  const message = result.data;
  const content: IRPart[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') {
      content.push({ type: 'tool_call', id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    } else if (block.type === 'thinking') {
      content.push({ type: 'thinking', text: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
    }
    // Other blocks (redacted_thinking, server tool use and results) have no IR counterpart.
  }
  const response: IRResponse = {
    id: message.id,
    model: message.model,
    content,
    stopReason: decodeStopReason(message.stop_reason),
    usage: decodeUsage(message.usage),
  };
  if (message.stop_sequence != null) response.stopSequence = message.stop_sequence;
  return response;
}

/** Encodes an IR response as an Anthropic `message` body for the client. */
export function encodeResponse(response: IRResponse): EncodedBody {
  const dropped = new Set<string>();
  const content: Record<string, unknown>[] = [];
  for (const part of response.content) {
    switch (part.type) {
      case 'text':
        content.push({ type: 'text', text: part.text });
        break;
      case 'thinking':
        // The client only reads it; an empty signature marks reasoning Anthropic did not sign.
        content.push({ type: 'thinking', thinking: part.text, signature: part.signature ?? '' });
        break;
      case 'tool_call':
        content.push({ type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments, dropped) });
        break;
      default:
        // Images (and tool results, which never appear in answers) have no response block.
        dropped.add(part.type);
    }
  }
  return {
    body: {
      id: response.id,
      type: 'message',
      role: 'assistant',
      model: response.model,
      content,
      stop_reason: encodeStopReason(response.stopReason),
      stop_sequence: response.stopSequence ?? null,
      usage: encodeUsage(response.usage),
    },
    dropped: [...dropped],
  };
}

/** The message of an Anthropic error body (`{"type":"error","error":{"type","message"}}`). */
export function errorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

/** RFC 3339 without milliseconds, as Anthropic writes `created_at`. */
function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `GET /v1/models` body: one page holding every model. */
export function encodeModelList(models: readonly ModelListing[]): unknown {
  const data = models.map((model) => ({
    type: 'model',
    id: model.id,
    display_name: model.displayName ?? model.id,
    created_at: rfc3339(model.created),
  }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
