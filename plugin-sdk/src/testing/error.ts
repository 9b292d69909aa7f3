/**
 * How a harness call fails: the host's verdict on the call, in the terms a plugin author tests
 * against.
 *
 * @module
 */
import { ErrorCodes } from '../protocol.js';
import { PluginCallError, describe } from '../transport/call.js';

/** What went wrong in a {@link HarnessError}. */
export type HarnessErrorKind = 'error' | 'invalid' | 'timeout' | 'crash';

/**
 * A failed call. `kind`: `error` (the handler threw; `code`/`data` come from the plugin, e.g.
 * `upstreamStatus` with `data.status`), `invalid` (the answer does not fit the schema),
 * `timeout` (the deadline passed: the pool is destroyed and the harness unusable afterwards,
 * like a fused plugin), `crash` (the worker died: exit, uncaught error, unhandled rejection,
 * heap limit).
 */
export class HarnessError extends Error {
  /**
   * @param kind - what went wrong
   * @param message - the plugin's error message or the host's verdict
   * @param code - the JSON-RPC error code, for `error` and `invalid`
   * @param data - the plugin's error `data`
   */
  constructor(
    readonly kind: HarnessErrorKind,
    message: string,
    readonly code?: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** Why the harness's pool is gone, once it is. */
export interface HarnessFailure {
  kind: 'timeout' | 'crash';
  reason: string;
}

/** Translates a failed transport call; `failure` is what ended the pool, if something did. */
export function toHarnessError(err: unknown, failure: HarnessFailure | undefined): HarnessError {
  if (!(err instanceof PluginCallError)) return new HarnessError('crash', describe(err));
  switch (err.kind) {
    case 'error':
      // The worker checks answers itself and reports a bad one as an error with this code.
      return new HarnessError(err.code === ErrorCodes.invalidResult ? 'invalid' : 'error', err.message, err.code, err.data);
    case 'invalid':
      return new HarnessError('invalid', err.message, err.code);
    case 'timeout':
    case 'crash':
      return new HarnessError(err.kind, err.message);
    case 'unavailable':
      // The pool was destroyed under the call (or before it): report what destroyed it.
      return new HarnessError(failure?.kind ?? 'crash', err.message);
  }
}
