/**
 * Upstream HTTP calls through an undici dispatcher (see `dispatchers.ts`): a stream's, whose body
 * is read as it comes, or one read whole. Aborting the signal tears the call down at once, which
 * is how a client disconnect reaches the upstream.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { ERROR_BODY_MAX_CHARS, UpstreamError, fromTransportError, retryAfterMs } from './errors.js';
import type { UpstreamEndpoint } from './endpoint.js';
import { bodyText, exchange, exchangeText, type UpstreamResponse, type UpstreamText } from './exchange.js';
import { readRateLimits } from './rate-limits.js';

/** One upstream call: its method, its path below the endpoint's origin, its body and the headers it adds to the endpoint's. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** How an upstream call is sent: {@link sendUpstream} or {@link sendUpstreamText}. */
export type UpstreamSender<R> = (agent: Dispatcher, endpoint: UpstreamEndpoint, call: UpstreamRequest, signal: AbortSignal) => Promise<R>;

/**
 * Sends one upstream call whose body is read as it comes (a stream's). Resolves with a 2xx
 * response; rejects with an {@link UpstreamError} for any other status (its message taken from
 * the error body by the format) or transport fault, and with the signal's reason when aborted.
 */
export async function sendUpstream(agent: Dispatcher, endpoint: UpstreamEndpoint, call: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
  let res: UpstreamResponse;
  try {
    res = await exchange(agent, dispatchOptions(endpoint, call), signal);
  } catch (err) {
    throw callError(endpoint, err, signal);
  }
  if (res.status >= 200 && res.status < 300) return res;
  let text = '';
  try {
    text = await bodyText(res.body);
  } catch {
    // A body cut short still leaves the status to go on.
  }
  throw statusError(endpoint, res.status, res.headers, text);
}

/**
 * Sends one upstream call and reads its answer whole (see {@link sendUpstream} for what it
 * rejects with). A 2xx body cut short is a transport fault; an error answer's still says its status.
 */
export async function sendUpstreamText(agent: Dispatcher, endpoint: UpstreamEndpoint, call: UpstreamRequest, signal: AbortSignal): Promise<UpstreamText> {
  let res: UpstreamText;
  try {
    res = await exchangeText(agent, dispatchOptions(endpoint, call), signal);
  } catch (err) {
    throw callError(endpoint, err, signal);
  }
  if (res.status >= 200 && res.status < 300) return res;
  throw statusError(endpoint, res.status, res.headers, res.text);
}

/** The call as undici dispatches it: the endpoint's origin and headers, the call's own on top. */
function dispatchOptions(endpoint: UpstreamEndpoint, call: UpstreamRequest): Dispatcher.DispatchOptions {
  const headers = call.headers ? { ...endpoint.headers, ...call.headers } : endpoint.headers;
  return { origin: endpoint.origin, path: call.path, method: call.method, headers, body: call.body };
}

/** What a call that failed without an answer rejects with: the signal's reason, else the transport fault. */
function callError(endpoint: UpstreamEndpoint, err: unknown, signal: AbortSignal): unknown {
  return signal.aborted ? signal.reason : transportError(endpoint, err);
}

/** The {@link UpstreamError} of an answer that is not a 2xx, read from its status, headers and body. */
function statusError(endpoint: UpstreamEndpoint, status: number, headers: UpstreamText['headers'], text: string): UpstreamError {
  // The message goes to clients, logs and management: never with the key an upstream may echo.
  const body = { format: endpoint.format.name, text: endpoint.redact(text.slice(0, ERROR_BODY_MAX_CHARS)) };
  const message = endpoint.redact(describeError(status, text, endpoint.format.errorMessage));
  const hint = retryAfterMs(headers) ?? endpoint.format.upstream.retryDelay?.(body.text);
  const error = new UpstreamError('http', message, status, hint, body, endpoint.format.upstream.errorKind(status, body.text));
  const limits = readRateLimits(headers, Date.now());
  if (limits.length > 0) error.limits = limits;
  return error;
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

/** A whole upstream JSON body, parsed. A body that is not JSON is a network-class failure. */
export function parseJson(response: UpstreamText): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    throw notJson(response);
  }
}

/**
 * A JSON object body left unparsed, for a same-format answer that goes back as it came. Only its
 * first character is checked: the client parses it anyway.
 */
export function jsonText(response: UpstreamText): string {
  if (!/^\s*\{/.test(response.text)) throw notJson(response);
  return response.text;
}

function notJson(response: UpstreamText): UpstreamError {
  return new UpstreamError('network', `upstream answered ${response.status} with a body that is not a JSON object`);
}
