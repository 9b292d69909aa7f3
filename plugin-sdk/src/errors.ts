/**
 * What an executor throws to fail the way an upstream would: the host treats the call as that
 * HTTP status (429 cools the credential down, 5xx fails over to the next one).
 *
 * The worker recognises any thrown object with a numeric `status` in 400..599, so a plugin that
 * bundles its own copy of the SDK (or throws a plain object) is understood too.
 */
export class UpstreamError extends Error {
  /** The HTTP status the upstream would have answered (400..599). */
  readonly status: number;
  // `declare`: a plain field would be emitted as an own `undefined` property even when not given.
  /** How long the credential should cool down, when the upstream said so. */
  declare readonly retryAfterMs?: number;

  /**
   * @param status - the HTTP status (400..599)
   * @param message - what went wrong; defaults to `upstream status <status>`
   * @param options - `retryAfterMs`: the cool-down the upstream asked for
   */
  constructor(status: number, message?: string, options?: { retryAfterMs?: number }) {
    super(message ?? `upstream status ${status}`);
    this.name = 'UpstreamError';
    this.status = status;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
