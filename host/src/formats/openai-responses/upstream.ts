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

/** The fields `POST /responses/input_tokens` takes besides `model`. */
const COUNT_FIELDS = ['input', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'parallel_tool_calls', 'truncation', 'conversation', 'previous_response_id'];

export const responsesUpstream: UpstreamDialect = {
  headers: {},
  authHeaders: openaiUpstream.authHeaders,
  chatPath: (basePath) => `${basePath}/responses`,
  count: {
    path: (basePath) => `${basePath}/responses/input_tokens`,
    // The count endpoint refuses what it does not take (sampling, `stream`, `store`, `include` ...).
    body: (requestBody, model) => {
      const body: Record<string, unknown> = { model };
      for (const key of COUNT_FIELDS) if (requestBody[key] !== undefined) body[key] = requestBody[key];
      return body;
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
    // Reasoning is only valid for the key (or organisation) that made it: keep its summary, drop
    // the rest. An item without an id (translated from another format's signed thinking) is
    // nothing without its encrypted content.
    const kept = input.flatMap((item) => {
      if (!encrypted(item)) return [item];
      const stripped = withoutEncrypted(item as Record<string, unknown>);
      return typeof stripped.id === 'string' ? [stripped] : [];
    });
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
