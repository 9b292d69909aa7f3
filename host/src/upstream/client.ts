/**
 * Upstream HTTP calls through an undici dispatcher (see `dispatchers.ts`). Aborting the signal
 * tears the call down at once, which is how a client disconnect reaches the upstream.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { ERROR_BODY_MAX_CHARS, UpstreamError, fromTransportError, retryAfterMs } from './errors.js';
import type { UpstreamEndpoint } from './endpoint.js';
import { bodyText, exchange, type UpstreamResponse } from './exchange.js';
import { readRateLimits } from './rate-limits.js';

/** One upstream call: its method, its path below the endpoint's origin, its body and the headers it adds to the endpoint's. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * Sends one upstream call. Resolves with a 2xx response; rejects with an {@link UpstreamError}
 * for any other status (its message taken from the error body by the format) or transport
 * fault, and with the signal's reason when aborted.
 */
export async function sendUpstream(agent: Dispatcher, endpoint: UpstreamEndpoint, call: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
  let res: UpstreamResponse;
  try {
    res = await exchange(
      agent,
      {
        origin: endpoint.origin,
        path: call.path,
        method: call.method,
        headers: call.headers ? { ...endpoint.headers, ...call.headers } : endpoint.headers,
        body: call.body,
      },
      signal,
    );
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw transportError(endpoint, err);
  }
  if (res.status >= 200 && res.status < 300) return res;
  let text = '';
  try {
    text = await bodyText(res.body);
  } catch {
    // A body cut short still leaves the status to go on.
  }
  // The message goes to clients, logs and management: never with the key an upstream may echo.
  const body = { format: endpoint.format.name, text: endpoint.redact(text.slice(0, ERROR_BODY_MAX_CHARS)) };
  const message = endpoint.redact(describeError(res.status, text, endpoint.format.errorMessage));
  const hint = retryAfterMs(res.headers) ?? endpoint.format.upstream.retryDelay?.(body.text);
  const error = new UpstreamError('http', message, res.status, hint, body, endpoint.format.upstream.errorKind(res.status, body.text));
  const limits = readRateLimits(res.headers, Date.now());
  if (limits.length > 0) error.limits = limits;
  throw error;
}

/**
 * A transport fault as an {@link UpstreamError}, naming the proxy it went through (password
 * masked): a refused tunnel reads as the proxy's fault, not the upstream's. Scrubbed like
 * upstream text, in case a proxy error quotes its URL.
 */
function transportError(endpoint: UpstreamEndpoint, err: unknown): UpstreamError {
  const error = fromTransportError(err);
  const message = endpoint.redact(endpoint.proxy ? `${error.message} (through proxy ${endpoint.proxy})` : error.message);
  return message === error.message ? error : new UpstreamError(error.kind, message);
}

function describeError(status: number, text: string, errorMessage: (body: unknown) => string | undefined): string {
  let message: string | undefined;
  try {
    message = errorMessage(JSON.parse(text));
  } catch {
    message = text.slice(0, 200) || undefined;
  }
  return message ? `${status} ${message}` : `HTTP ${status}`;
}

/** Reads a whole upstream body as text. A body cut short is a network-class failure. */
export async function readText(response: UpstreamResponse): Promise<string> {
  try {
    return await bodyText(response.body);
  } catch (err) {
    throw fromTransportError(err);
  }
}

/** Reads a whole upstream JSON body. A body that is not JSON is a network-class failure. */
export async function readJson(response: UpstreamResponse): Promise<unknown> {
  const text = await readText(response);
  try {
    return JSON.parse(text);
  } catch {
    throw notJson(response);
  }
}

/**
 * Reads a JSON object body without parsing it, for a same-format answer that goes back as it
 * came. Only its first character is checked: the client parses it anyway.
 */
export async function readJsonText(response: UpstreamResponse): Promise<string> {
  const text = await readText(response);
  if (!/^\s*\{/.test(text)) throw notJson(response);
  return text;
}

function notJson(response: UpstreamResponse): UpstreamError {
  return new UpstreamError('network', `upstream answered ${response.status} with a body that is not a JSON object`);
}
