/**
 * Where and how to reach one upstream with one API key: computed once per config (origin, path
 * prefix, headers with the key), so a call only concatenates a path.
 *
 * @module
 */
import type { WireFormat } from '../formats/wire-format.js';
import { displayProxyUrl, proxySecrets } from './proxy-url.js';

/** One upstream with one API key. Holds the secret: keep it in upstream/. */
export interface UpstreamEndpoint {
  readonly format: WireFormat;
  /** `scheme://host:port` for the connection pool. */
  readonly origin: string;
  /** The base URL's path without a trailing slash, e.g. `/v1`. */
  readonly basePath: string;
  /** Headers sent on every call: auth, version, content type, the provider's extra headers. */
  readonly headers: Record<string, string>;
  /** The outbound proxy calls go through, as it may be shown (password masked); undefined = direct. */
  readonly proxy?: string;
  /** Removes this endpoint's key from text an upstream wrote (error messages echo it back). */
  redact(text: string): string;
}

/**
 * Builds the endpoint of a provider of `format` for one API key (none: the auth comes per call), reached through `proxyUrl`
 * (undefined = direct). The proxy's password is scrubbed from text besides the key (proxies
 * quote the URL they refused).
 */
export function upstreamEndpoint(format: WireFormat, baseUrl: string, apiKey: string | undefined, extra: Record<string, string>, proxyUrl?: string): UpstreamEndpoint {
  const url = new URL(baseUrl);
  const dialect = format.upstream;
  // The provider's headers may override the API's defaults, never the key.
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...dialect.headers,
    ...lowerKeys(extra),
    // Without a key the auth comes with each call (a token source).
    ...(apiKey === undefined ? {} : dialect.authHeaders(apiKey)),
  };
  // Longest first, so a URL holding a password is scrubbed whole before the password alone.
  const hidden = [apiKey ?? '', ...proxySecrets(proxyUrl)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  const redact = (text: string) => {
    for (const secret of hidden) if (text.includes(secret)) text = text.split(secret).join('[redacted]');
    return text;
  };
  const proxy = proxyUrl === undefined ? undefined : displayProxyUrl(proxyUrl);
  return { format, origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), headers, proxy, redact };
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
