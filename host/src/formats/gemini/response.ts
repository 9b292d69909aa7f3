/**
 * Gemini `GenerateContentResponse` <-> IR response, error bodies and the model listing.
 *
 * @module
 */
import type { EncodedBody, ModelListing } from '../wire-format.js';
import type { IRResponse } from '../ir.js';
import { fieldPath } from '../validate.js';
import { gatewayError } from '../../errors/registry.js';
import {
  decodeFinishReason, decodeUsage, encodeFinishReason, encodeParts, encodeUsage, newResponseId, PartDecoder,
} from './mapping.js';
import { responseSchema, type WireResponse } from './schema.js';

/**
 * Validates an upstream response body or stream chunk. `toError` builds what to throw when it is
 * not one (a 502 for a body, an {@link UpstreamStreamError} inside a stream).
 */
export function parseUpstream(body: unknown, toError: (message: string) => Error): WireResponse {
  const result = responseSchema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw toError(`unreadable Gemini response: ${fieldPath(issue.path)}: ${issue.message}`);
}

/**
 * Decodes an upstream answer. Only the first candidate is read (the gateway never asks for
 * more). No candidates at all means the prompt was blocked (`promptFeedback.blockReason`).
 */
export function decodeResponse(body: unknown): IRResponse {
  const wire = parseUpstream(body, (message) => gatewayError('upstream_failed', message));
  const candidate = wire.candidates?.[0];
  const content = new PartDecoder().decode(candidate?.content?.parts ?? [], 'candidates[].content.parts[]');
  const stopReason = candidate
    ? decodeFinishReason(candidate.finishReason, content.some((p) => p.type === 'tool_call'))
    : wire.promptFeedback?.blockReason !== undefined ? 'content_filter' : 'other';
  return {
    id: wire.responseId ?? newResponseId(),
    model: wire.modelVersion ?? '',
    content,
    stopReason,
    usage: decodeUsage(wire.usageMetadata),
  };
}

/** Encodes an IR answer for a Gemini client. Gemini cannot say which stop sequence matched. */
export function encodeResponse(response: IRResponse): EncodedBody {
  return {
    body: {
      candidates: [{
        content: { role: 'model', parts: encodeParts(response.content) },
        finishReason: encodeFinishReason(response.stopReason),
        index: 0,
      }],
      usageMetadata: encodeUsage(response.usage),
      modelVersion: response.model,
      responseId: response.id,
    },
    dropped: response.stopSequence !== undefined ? ['stopSequence'] : [],
  };
}

/**
 * `error.message` of a Gemini error body. Also reads the `[{error}]` array that
 * `streamGenerateContent` without `alt=sse` answers with.
 */
export function errorMessage(body: unknown): string | undefined {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (typeof first !== 'object' || first === null) return undefined;
  const error = (first as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

/** The `models.list` body: `{models: [{name: "models/ID", ...}]}`. */
export function encodeModelList(models: readonly ModelListing[]): unknown {
  return {
    models: models.map((m) => ({
      name: `models/${m.id}`,
      version: '001',
      displayName: m.displayName ?? m.id,
      supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
    })),
  };
}
