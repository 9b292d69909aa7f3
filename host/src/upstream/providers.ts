/**
 * The built-in upstream types: where each sends a request and how it authenticates. Everything
 * here is computed once per config (origin, path prefix, headers with the credential), so a
 * request only concatenates a path.
 *
 * @module
 */
import type { FormatName } from '../formats/ir.js';

/** The anthropic-version every Anthropic upstream call carries. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Where and how to reach one upstream with one credential. Holds the secret: keep it in upstream/. */
export interface UpstreamEndpoint {
  readonly type: FormatName;
  /** `scheme://host:port` for the connection pool. */
  readonly origin: string;
  /** The base URL's path without a trailing slash, e.g. `/v1`. */
  readonly basePath: string;
  /** Headers sent on every call: auth, version, content type, the provider's extra headers. */
  readonly headers: Record<string, string>;
  /** Removes this endpoint's key from text an upstream wrote (error messages echo it back). */
  redact(text: string): string;
}

/** Builds the endpoint of a provider for one API key. */
export function upstreamEndpoint(type: FormatName, baseUrl: string, apiKey: string, extra: Record<string, string>): UpstreamEndpoint {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...lowerKeys(extra) };
  switch (type) {
    case 'openai':
      headers.authorization = `Bearer ${apiKey}`;
      break;
    case 'anthropic':
      headers['x-api-key'] = apiKey;
      headers['anthropic-version'] ??= ANTHROPIC_VERSION;
      break;
    case 'gemini':
      headers['x-goog-api-key'] = apiKey;
      break;
  }
  const redact = (text: string) => (text.includes(apiKey) ? text.split(apiKey).join('[redacted]') : text);
  return { type, origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), headers, redact };
}

/** The path of a chat call for `model`. */
export function chatPath(endpoint: UpstreamEndpoint, model: string, stream: boolean): string {
  switch (endpoint.type) {
    case 'openai':
      return `${endpoint.basePath}/chat/completions`;
    case 'anthropic':
      return `${endpoint.basePath}/messages`;
    case 'gemini':
      return `${endpoint.basePath}/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
  }
}

/** The path of a token count call, or undefined when the upstream type has none (OpenAI). */
export function countTokensPath(endpoint: UpstreamEndpoint, model: string): string | undefined {
  switch (endpoint.type) {
    case 'openai':
      return undefined;
    case 'anthropic':
      return `${endpoint.basePath}/messages/count_tokens`;
    case 'gemini':
      return `${endpoint.basePath}/models/${encodeURIComponent(model)}:countTokens`;
  }
}

/** The path listing the upstream's models. */
export function modelsPath(endpoint: UpstreamEndpoint): string {
  return `${endpoint.basePath}/models`;
}

/** Model ids out of an upstream's model listing body. */
export function parseModelList(type: FormatName, body: unknown): string[] {
  const b = body as { data?: { id?: unknown }[]; models?: { name?: unknown; supportedGenerationMethods?: unknown }[] };
  if (type === 'gemini') {
    return (b.models ?? [])
      .filter((m) => !Array.isArray(m.supportedGenerationMethods) || m.supportedGenerationMethods.includes('generateContent'))
      .map((m) => String(m.name ?? '').replace(/^models\//, ''))
      .filter(Boolean);
  }
  return (b.data ?? []).map((m) => String(m.id ?? '')).filter(Boolean);
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
