/**
 * Upstream HTTP calls through an undici dispatcher (see `dispatchers.ts`). Aborting the signal
 * tears the call down at once, which is how a client disconnect reaches the upstream.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { ERROR_BODY_MAX_CHARS, UpstreamError, fromTransportError, retryAfterMs } from './errors.js';
import type { UpstreamEndpoint } from './endpoint.js';
import { readRateLimits } from './rate-limits.js';

/** A successful (2xx) upstream response whose body is still to be read. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Sends one upstream call. Resolves with a 2xx response; rejects with an {@link UpstreamError}
 * for any other status (its message taken from the error body by the format) or transport
 * fault, and with the signal's reason when aborted.
 */
export async function sendUpstream(
  agent: Dispatcher,
  endpoint: UpstreamEndpoint,
  call: { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> },
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await agent.request({
      origin: endpoint.origin,
      path: call.path,
      method: call.method,
      headers: call.headers ? { ...endpoint.headers, ...call.headers } : endpoint.headers,
      body: call.body,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw transportError(endpoint, err);
  }
  if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: res.body };
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    // A body cut short still leaves the status to go on.
  }
  // The message goes to clients, logs and management: never with the key an upstream may echo.
  const body = { format: endpoint.format.name, text: endpoint.redact(text.slice(0, ERROR_BODY_MAX_CHARS)) };
  const message = endpoint.redact(describeError(res.statusCode, text, endpoint.format.errorMessage));
  const hint = retryAfterMs(res.headers) ?? endpoint.format.upstream.retryDelay?.(body.text);
  const error = new UpstreamError('http', message, res.statusCode, hint, body, endpoint.format.upstream.errorKind(res.statusCode, body.text));
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
    return await response.body.text();
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
