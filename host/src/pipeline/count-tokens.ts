/**
 * Token counting (`/v1/messages/count_tokens`, Gemini `:countTokens`). Anthropic and Gemini
 * upstreams count for real; OpenAI has no counting endpoint, so the host estimates (about four
 * characters a token, the rule of thumb OpenAI documents for English text).
 *
 * @module
 */
import { gatewayError } from '../errors/registry.js';
import type { Runtime } from '../core/runtime.js';
import { CODECS } from '../formats/index.js';
import type { IRRequest } from '../formats/ir.js';
import { readJson, sendUpstream } from '../upstream/client.js';
import { countTokensPath } from '../upstream/providers.js';
import { attemptsError, failedAttempt } from './attempts.js';
import { resolveTarget } from './resolve.js';

const ANTHROPIC_COUNT_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking'];

/** Counts the input tokens of a request and answers in the client's count shape. */
export async function countTokens(
  rt: Runtime,
  format: 'anthropic' | 'gemini',
  body: unknown,
  urlModel: string | undefined,
  signal: AbortSignal,
): Promise<unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw gatewayError('invalid_body', 'body: expected a JSON object');
  let raw = body as Record<string, unknown>;
  // Gemini accepts either {contents} or a whole {generateContentRequest}.
  if (format === 'gemini' && typeof raw.generateContentRequest === 'object' && raw.generateContentRequest !== null) {
    raw = raw.generateContentRequest as Record<string, unknown>;
  }
  const { request } = CODECS[format].decodeRequest(raw, { model: urlModel, stream: false });
  const target = resolveTarget(rt, request.model);
  const credential = target.provider.credentials[0]!;
  const upstream = CODECS[target.provider.type];
  const path = countTokensPath(credential.endpoint, target.model);

  let tokens: number;
  if (path === undefined) {
    tokens = estimateTokens(request);
  } else {
    const upstreamBody = upstream.encodeRequest({ ...request, model: target.model }).body;
    const countBody =
      upstream.name === 'anthropic'
        ? Object.fromEntries(Object.entries(upstreamBody).filter(([k]) => ANTHROPIC_COUNT_FIELDS.includes(k)))
        : { generateContentRequest: { model: `models/${target.model}`, ...upstreamBody } };
    const started = performance.now();
    try {
      const response = await sendUpstream(rt.agent, credential.endpoint, { method: 'POST', path, body: JSON.stringify(countBody) }, signal, upstream.errorMessage);
      const json = (await readJson(response)) as { input_tokens?: unknown; totalTokens?: unknown };
      tokens = Number(upstream.name === 'anthropic' ? json.input_tokens : json.totalTokens) || 0;
    } catch (err) {
      if (signal.aborted) throw err;
      const where = { provider: target.provider.name, model: target.model, credentialId: credential.id };
      throw attemptsError(request.model, [failedAttempt(err, where, performance.now() - started)]);
    }
  }
  return format === 'anthropic' ? { input_tokens: tokens } : { totalTokens: tokens };
}

/** A character-based estimate of a request's input tokens. */
export function estimateTokens(request: IRRequest): number {
  let chars = request.system?.length ?? 0;
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'thinking') chars += part.text.length;
      else if (part.type === 'tool_call') chars += part.name.length + part.arguments.length;
      else if (part.type === 'tool_result') chars += part.content.length;
      // Images: upstreams bill by pixels; a flat cost keeps the estimate in range.
      else chars += 3000;
    }
  }
  for (const tool of request.tools ?? []) chars += JSON.stringify(tool).length;
  return Math.max(1, Math.ceil(chars / 4));
}
