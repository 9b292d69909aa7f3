/**
 * The Anthropic upstream API: `{base}/messages`, `x-api-key` with `anthropic-version`,
 * `{base}/messages/count_tokens`, `{base}/models`.
 *
 * @module
 */
import { typedEvent } from '../framing.js';
import type { UpstreamDialect } from '../wire-format.js';
import { errorKind } from './errors.js';
import { openaiUpstream } from '../openai/upstream.js';

/** The anthropic-version every Anthropic upstream call carries, unless the provider's headers set one. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** The fields `count_tokens` accepts; the rest of a Messages body (max_tokens, stream ...) it refuses. */
const COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking']);

export const anthropicUpstream: UpstreamDialect = {
  headers: { 'anthropic-version': ANTHROPIC_VERSION },
  authHeaders: (apiKey) => ({ 'x-api-key': apiKey }),
  chatPath: (basePath) => `${basePath}/messages`,
  count: {
    path: (basePath) => `${basePath}/messages/count_tokens`,
    body: (requestBody) => Object.fromEntries(Object.entries(requestBody).filter(([k]) => COUNT_FIELDS.has(k))),
    result: (body) => Number((body as { input_tokens?: unknown } | null)?.input_tokens) || 0,
  },
  modelsPath: (basePath) => `${basePath}/models`,
  // Same listing shape as OpenAI's: `{data: [{id}]}`.
  parseModelList: openaiUpstream.parseModelList,
  executorEvent: typedEvent,
  errorKind,
};
