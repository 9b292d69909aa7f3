/**
 * One registry of coded errors (fastify's `FST_ERR_*` idea): every failure the host answers
 * with has a stable code and HTTP status, and is rendered in the client's wire format by
 * `render.ts`. Throw `gatewayError('code', message)` instead of ad hoc errors.
 *
 * @module
 */

export const ERROR_CODES = {
  /** The body is not valid JSON or not the expected shape; the message names the field. */
  invalid_body: 400,
  /** No client key, or a wrong one. */
  unauthorized: 401,
  /** Management key missing or wrong. */
  forbidden: 403,
  /** The model is unknown to the registry, the aliases and the virtual models. */
  model_not_found: 404,
  /** A config reload asked through the management API found an invalid file. */
  invalid_config: 400,
  /** No such endpoint. */
  not_found: 404,
  /** The request body exceeds the size limit. */
  body_too_large: 413,
  /** Content-Type is not JSON. */
  unsupported_media_type: 415,
  /** Too many failed management key attempts from one address; carries Retry-After. */
  auth_throttled: 429,
  /** Every credential that could serve the model is cooling down; carries Retry-After. */
  model_cooldown: 429,
  /** The upstream rejected the request itself (400/422): passed on with the upstream's status. */
  upstream_request_error: 400,
  /** Every attempt failed; the message lists them. */
  upstream_failed: 502,
  /** No provider can serve the request (none configured, all disabled). */
  no_provider: 503,
  /** The gateway is shutting down or a fail-closed component is unavailable. */
  unavailable: 503,
  /** A request interceptor ended the request with its own reply (see {@link InterceptedReply}). */
  intercepted: 403,
  /** A bug: should never reach a client. */
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the host answers with: code, HTTP status, message, optional response headers. */
export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.status = options.status ?? ERROR_CODES[code];
    this.headers = options.headers;
  }
  readonly headers: Record<string, string> | undefined;
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
export function gatewayError(
  code: ErrorCode,
  message: string,
  options?: { status?: number; headers?: Record<string, string>; cause?: unknown },
): GatewayError {
  return new GatewayError(code, message, options);
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
