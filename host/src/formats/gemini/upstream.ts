/**
 * The Gemini upstream API: model and method in the path (`{base}/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:countTokens`), `x-goog-api-key`, `{base}/models`.
 *
 * @module
 */
import { plainEvent } from '../framing.js';
import type { UpstreamDialect } from '../wire-format.js';
import { errorKind } from './errors.js';

const modelPath = (basePath: string, model: string) => `${basePath}/models/${encodeURIComponent(model)}`;

export const geminiUpstream: UpstreamDialect = {
  headers: {},
  authHeaders: (apiKey) => ({ 'x-goog-api-key': apiKey }),
  chatPath: (basePath, model, stream) => `${modelPath(basePath, model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
  count: {
    path: (basePath, model) => `${modelPath(basePath, model)}:countTokens`,
    body: (requestBody, model) => ({ generateContentRequest: { model: `models/${model}`, ...requestBody } }),
    result: (body) => Number((body as { totalTokens?: unknown } | null)?.totalTokens) || 0,
  },
  modelsPath: (basePath) => `${basePath}/models`,
  parseModelList(body) {
    const models = (body as { models?: { name?: unknown; supportedGenerationMethods?: unknown }[] } | null)?.models;
    return (Array.isArray(models) ? models : [])
      .filter((m) => !Array.isArray(m?.supportedGenerationMethods) || m.supportedGenerationMethods.includes('generateContent'))
      .map((m) => String(m?.name ?? '').replace(/^models\//, ''))
      .filter(Boolean);
  },
  // Executor events carry no framing of their own; Gemini's decoder reads the data alone.
  executorEvent: plainEvent,
  errorKind,
  retryDelay,
};

/** `error.details[]`'s `google.rpc.RetryInfo` `retryDelay` (`"46s"`, `"0.5s"`), in ms. */
function retryDelay(errorBody: string): number | undefined {
  if (!errorBody.includes('RetryInfo')) return undefined;
  try {
    const details = (JSON.parse(errorBody) as { error?: { details?: { '@type'?: string; retryDelay?: unknown }[] } }).error?.details;
    const delay = details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
    const seconds = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
    return seconds === undefined ? undefined : Math.ceil(Number(seconds) * 1000);
  } catch {
    return undefined;
  }
}
