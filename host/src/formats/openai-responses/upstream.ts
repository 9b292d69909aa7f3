/**
 * The OpenAI Responses upstream API: `{base}/responses`, bearer auth, `{base}/models`; typed
 * stream events name themselves.
 *
 * @module
 */
import { errorKind } from '../openai/errors.js';
import { openaiUpstream } from '../openai/upstream.js';
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
  executorEvent(event) {
    const data = typeof event === 'string' ? event : JSON.stringify(event);
    const type = (event as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? { event: type, data } : { data };
  },
  errorKind,
};
