/**
 * Vertex AI as the mock speaks it, under the prefix `/vertex/v1`: the Gemini models of the
 * `google` publisher and the Claude models of the `anthropic` publisher, each in its own wire
 * format, below `/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}`:
 *
 * - `google`: `:generateContent`, `:streamGenerateContent` (SSE with `alt=sse`, else a JSON
 *   array) and `:countTokens`, answered by the Gemini module (`gemini.ts`);
 * - `anthropic`: `:rawPredict` and `:streamRawPredict`, an Anthropic Messages body answered by
 *   the Anthropic module (`anthropic.ts`), with Vertex's rules: the model is in the URL, so the
 *   body must not name one, and it must carry `"anthropic_version": "vertex-2023-10-16"`
 *   instead of the `anthropic-version` header. The body's `stream` decides whether the answer
 *   is streamed, on either action, as on Vertex.
 *
 * Only an OAuth access token authenticates (`Authorization: Bearer`); API key headers do not.
 * A 401 comes in Google's error shape whichever the publisher, since Google's front end
 * refuses the token before any model sees the request; every other error comes in the
 * publisher's shape.
 *
 * @module
 */

import { error as anthropicError, messagesReply, missingField } from './anthropic.js';
import { ACTIONS, error as googleError, generate } from './gemini.js';
import type { Call, FormatSpec, Reply, Route } from './types.js';

/** The only `anthropic_version` Vertex AI accepts for Claude. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

const MODEL_PATH = /^\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/([^/]+)\/models\/([^/:]+):([A-Za-z]+)$/;
const ANTHROPIC_ACTIONS = ['rawPredict', 'streamRawPredict'];

/** `rawPredict` / `streamRawPredict` for the Claude model `model`. */
function rawPredict(model: string, stream: boolean): Route['respond'] {
  return (call: Call): Reply => {
    const body = call.body;
    const bad = (message: string) => anthropicError(400, message, call.seq);
    if (body?.anthropic_version === undefined) return bad('anthropic_version: Field required');
    if (body.anthropic_version !== VERTEX_ANTHROPIC_VERSION) return bad(`anthropic_version: Input should be '${VERTEX_ANTHROPIC_VERSION}'`);
    if (body.model !== undefined) return bad('model: Extra inputs are not permitted');
    return missingField(call, ['messages', 'max_tokens']) ?? messagesReply(call, model, stream);
  };
}

/** Vertex AI's generative endpoints for Gemini and Claude models. */
export const vertex: FormatSpec = {
  // Google's shape for what matches no publisher (a 404).
  format: 'gemini',
  prefix: '/vertex/v1',
  apiKey: (headers) => /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1],
  missingKeyMessage:
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  route(method, subPath, body) {
    const m = MODEL_PATH.exec(subPath);
    if (method !== 'POST' || m === null) return undefined;
    const [project, location, publisher, model, action] = m.slice(1).map((s) => decodeURIComponent(s ?? ''));
    const at = { project: project!, location: location!, model: model! };
    if (publisher === 'google') {
      const gemini = ACTIONS.find((a) => a === action);
      if (gemini === undefined) return undefined;
      return { ...at, format: 'gemini', stream: gemini === 'streamGenerateContent', respond: generate(at.model, gemini) };
    }
    if (publisher === 'anthropic' && ANTHROPIC_ACTIONS.includes(action!)) {
      const stream = body?.stream === true;
      return { ...at, format: 'anthropic', stream, respond: rawPredict(at.model, stream) };
    }
    return undefined;
  },
  error: (status, message, seq, route) =>
    route?.format === 'anthropic' && status !== 401 ? anthropicError(status, message, seq) : googleError(status, message),
};
