/**
 * The OpenAI-compatible upstream API: `{base}/chat/completions`, bearer auth, `{base}/models`.
 * It has no token counting endpoint.
 *
 * @module
 */
import { plainEvent } from '../framing.js';
import type { UpstreamDialect } from '../wire-format.js';
import { errorKind } from './errors.js';

export const openaiUpstream: UpstreamDialect = {
  headers: {},
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  chatPath: (basePath) => `${basePath}/chat/completions`,
  modelsPath: (basePath) => `${basePath}/models`,
  parseModelList(body) {
    const data = (body as { data?: { id?: unknown }[] } | null)?.data;
    return (Array.isArray(data) ? data : []).map((m) => String(m?.id ?? '')).filter(Boolean);
  },
  executorEvent: plainEvent,
  errorKind,
};
