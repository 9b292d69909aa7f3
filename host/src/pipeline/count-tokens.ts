/**
 * Token counting (`/v1/messages/count_tokens`, Gemini `:countTokens`), through the conductor
 * like a chat request. Anthropic and Gemini upstreams count for real; OpenAI upstreams and
 * executor plugins have no counting endpoint, so the host estimates (about four characters a token, OpenAI's rule of thumb for
 * English text).
 *
 * @module
 */
import { resolveChain } from '../core/chain.js';
import type { Runtime } from '../core/runtime.js';
import { CODECS } from '../formats/index.js';
import type { IRRequest } from '../formats/ir.js';
import { readJson, sendUpstream } from '../upstream/client.js';
import { countTokensPath } from '../upstream/providers.js';
import { asObject } from './proxy.js';
import { serialisable } from './translate.js';

const ANTHROPIC_COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking']);

/** Counts the input tokens of a request and answers in the client's count shape. */
export async function countTokens(
  rt: Runtime,
  format: 'anthropic' | 'gemini',
  body: unknown,
  urlModel: string | undefined,
  signal: AbortSignal,
): Promise<unknown> {
  let raw = asObject(body);
  // Gemini accepts either {contents} or a whole {generateContentRequest}.
  if (format === 'gemini' && typeof raw.generateContentRequest === 'object' && raw.generateContentRequest !== null) {
    raw = raw.generateContentRequest as Record<string, unknown>;
  }
  const { request } = CODECS[format].decodeRequest(raw, { model: urlModel, stream: false });
  const chain = resolveChain(rt, request.model);
  const { value: tokens } = await rt.conductor.run(chain, { requestedModel: request.model, signal }, async (member) => {
    const endpoint = member.credential.endpoint;
    // Executor plugins and OpenAI upstreams have no counting endpoint.
    const path = endpoint && countTokensPath(endpoint, member.model);
    if (!endpoint || path === undefined) return serialisable(() => estimateTokens(request));
    const upstream = CODECS[member.providerRuntime.type];
    const body = serialisable(() => {
      const upstreamBody = upstream.encodeRequest({ ...request, model: member.model }).body;
      const countBody =
        upstream.name === 'anthropic'
          ? Object.fromEntries(Object.entries(upstreamBody).filter(([k]) => ANTHROPIC_COUNT_FIELDS.has(k)))
          : { generateContentRequest: { model: `models/${member.model}`, ...upstreamBody } };
      return JSON.stringify(countBody);
    });
    const response = await sendUpstream(rt.agent, endpoint, { method: 'POST', path, body }, signal, upstream.errorMessage);
    const json = (await readJson(response)) as { input_tokens?: unknown; totalTokens?: unknown };
    return Number(upstream.name === 'anthropic' ? json.input_tokens : json.totalTokens) || 0;
  });
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
