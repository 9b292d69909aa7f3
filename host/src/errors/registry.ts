/**
 * One registry of coded errors (fastify's `FST_ERR_*` idea): every failure the host answers
 * with has a stable code, an HTTP status and a party to blame, and is rendered in the client's
 * wire format by that format's `errorBody`. Throw `gatewayError('code', message)` instead of ad
 * hoc errors. Every code is documented in docs/errors.md (a test holds both lists together).
 *
 * @module
 */

/**
 * Who a failure is down to, which decides what happens next: a `request` fault would fail the
 * same way anywhere, so it ends the request at once; a `host` verdict (shutdown, a fail-closed
 * guard, an exhausted plan) ends it too; only an `upstream` fault moves on to another credential
 * or candidate.
 */
export type Blame = 'request' | 'upstream' | 'host';

/**
 * The kinds of upstream failure that keep their meaning across wire formats (CONTRACT section
 * 3's table): each format reads them from its own error bodies and renders them in its own
 * terms, so a client compacts its history on "context too long" whatever upstream said it.
 */
export type UpstreamErrorKind = 'context_length' | 'rate_limit' | 'overloaded' | 'authentication' | 'permission' | 'not_found' | 'content_filter';

/** A kind as one upstream reported it, with the token counts a context-length error names. */
export interface KindedError {
  kind: UpstreamErrorKind;
  /** Context length: the request's tokens and the model's limit, when the upstream said them. */
  tokens?: number;
  limit?: number;
}

/** An upstream's own error answer, passed on unchanged to a client of its format. */
export interface PassedError {
  /** The wire format the body is in. */
  format: string;
  status: number;
  /** The body text, secrets scrubbed. */
  text: string;
}

interface ErrorSpec {
  readonly status: number;
  readonly blame: Blame;
}

export const ERROR_CODES = {
  /** The body is not valid JSON or not the expected shape; the message names the field. */
  invalid_body: { status: 400, blame: 'request' },
  /** No client key, or a wrong one; also a wrong management key. */
  unauthorized: { status: 401, blame: 'request' },
  /** The model is unknown to the registry, the aliases and the virtual models. */
  model_not_found: { status: 404, blame: 'request' },
  /** A Responses request continues an answer that is unknown, expired, deleted, unstored or another client's. */
  previous_response_not_found: { status: 400, blame: 'request' },
  /** A config reload asked through the management API found an invalid file. */
  invalid_config: { status: 400, blame: 'request' },
  /** No such endpoint, or no such management resource. */
  not_found: { status: 404, blame: 'request' },
  /** The request body exceeds the size limit. */
  body_too_large: { status: 413, blame: 'request' },
  /** Content-Type is not JSON. */
  unsupported_media_type: { status: 415, blame: 'request' },
  /** Too many failed management key attempts from one address; carries Retry-After. */
  auth_throttled: { status: 429, blame: 'request' },
  /** A request interceptor ended the request with its own reply (see {@link InterceptedReply}). */
  intercepted: { status: 403, blame: 'request' },
  /** The upstream rejected the request itself (400/422): passed on with the upstream's status. */
  upstream_request_error: { status: 400, blame: 'request' },
  /** Every credential that could serve the model is cooling down; carries Retry-After. */
  model_cooldown: { status: 429, blame: 'host' },
  /** Every attempt failed; the message lists them. */
  upstream_failed: { status: 502, blame: 'host' },
  /** The request's deadline passed, or every candidate left would be ready only after it; the message lists the attempts. */
  deadline_exceeded: { status: 504, blame: 'host' },
  /** No provider can serve the request (none configured, all disabled). */
  no_provider: { status: 503, blame: 'host' },
  /** Every credential that could serve the model is benched for a reason other than quota; the message names each reason and until when. */
  credentials_unavailable: { status: 503, blame: 'host' },
  /** The gateway is shutting down or a fail-closed component is unavailable. */
  unavailable: { status: 503, blame: 'host' },
  /** A bug: should never reach a client. */
  internal: { status: 500, blame: 'host' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What a gateway error may carry besides its code and message. */
export interface GatewayErrorOptions {
  /** Overrides the registry's status (an upstream's own 400/422, a plugin's reject). */
  status?: number;
  headers?: Record<string, string>;
  cause?: unknown;
  /** The kind of upstream failure behind it: rendered in the client's own terms. */
  kind?: KindedError;
  /** The upstream's own error answer: sent unchanged to a client of the same format. */
  passed?: PassedError;
}

/** An error the host answers with: code, HTTP status, blame, message, optional response headers. */
export class GatewayError extends Error {
  readonly status: number;
  readonly blame: Blame;
  readonly headers: Record<string, string> | undefined;
  readonly kind: KindedError | undefined;
  readonly passed: PassedError | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.status = options.status ?? ERROR_CODES[code].status;
    this.blame = ERROR_CODES[code].blame;
    this.headers = options.headers;
    this.kind = options.kind;
    this.passed = options.passed;
  }
}

/**
 * A reply a request interceptor chose instead of serving the request: sent as it is, with no
 * upstream call and no retry.
 */
export class InterceptedReply extends GatewayError {
  constructor(
    readonly pluginId: string,
    readonly reply: { status: number; body?: unknown; headers?: Record<string, string> },
  ) {
    super('intercepted', `request rejected by plugin ${pluginId}`, { status: reply.status, headers: reply.headers });
  }
}

/** Creates a {@link GatewayError}; the status comes from the registry unless overridden. */
export function gatewayError(code: ErrorCode, message: string, options?: GatewayErrorOptions): GatewayError {
  return new GatewayError(code, message, options);
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/**
 * Who `err` is down to. The host's own errors say so; anything else an attempt throws (an
 * upstream status, a network fault, a plugin executor failing) is the upstream's.
 */
export function blameOf(err: unknown): Blame {
  return isGatewayError(err) ? err.blame : 'upstream';
}

/** `err` as a gateway error: as it is, or `internal` (a bug) wrapping it. */
export function asGatewayError(err: unknown): GatewayError {
  return isGatewayError(err) ? err : gatewayError('internal', 'Internal error', { cause: err });
}
