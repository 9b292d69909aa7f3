/**
 * The OpenAI Responses upstream API: `{base}/responses`, bearer auth, `{base}/models`; typed
 * stream events name themselves.
 *
 * @module
 */
import { errorKind } from '../openai/errors.js';
import { openaiUpstream } from '../openai/upstream.js';
import { typedEvent } from '../framing.js';
import type { UpstreamDialect } from '../wire-format.js';

export const responsesUpstream: UpstreamDialect = {
  headers: {},
  authHeaders: openaiUpstream.authHeaders,
  chatPath: (basePath) => `${basePath}/responses`,
  count: {
    path: (basePath) => `${basePath}/responses/input_tokens`,
    body: (requestBody) => {
      const { stream: _stream, store: _store, ...rest } = requestBody;
      return rest;
    },
    result: (body) => Number((body as { input_tokens?: unknown } | null)?.input_tokens) || 0,
  },
  modelsPath: openaiUpstream.modelsPath,
  parseModelList: openaiUpstream.parseModelList,
  executorEvent: typedEvent,
  errorKind,
  repair(status, errorBody, requestBody) {
    if (status !== 400 || !/invalid_encrypted_content/.test(errorBody)) return undefined;
    const input = requestBody.input;
    if (!Array.isArray(input) || !input.some(encrypted)) return undefined;
    // Reasoning is only valid for the key (or organisation) that made it: keep its summary, drop the rest.
    const kept = input.map((item) => (encrypted(item) ? withoutEncrypted(item as Record<string, unknown>) : item));
    return { body: { ...requestBody, input: kept }, dropped: ['reasoning.encrypted_content'] };
  },
};

function encrypted(item: unknown): boolean {
  const i = item as { type?: unknown; encrypted_content?: unknown } | null;
  return i?.type === 'reasoning' && typeof i.encrypted_content === 'string';
}

function withoutEncrypted(item: Record<string, unknown>): Record<string, unknown> {
  const { encrypted_content: _dropped, ...rest } = item;
  return rest;
}
