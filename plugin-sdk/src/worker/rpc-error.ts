/**
 * The worker's own JSON-RPC errors. A subclass, so the runtime can tell the errors it raised
 * (passed through unchanged) from whatever a plugin throws (always mapped to a code).
 *
 * @module
 */
import { JSONRPCErrorException } from './json-rpc.js';
import type { z } from 'zod';

/** A JSON-RPC error raised by the worker runtime itself. */
export class RpcError extends JSONRPCErrorException {
  /**
   * @param code - an `ErrorCodes` value or a standard JSON-RPC code
   * @param message - the error message the host sees
   * @param data - the error's `data` member
   */
  constructor(code: number, message: string, data?: unknown) {
    super(message, code, data);
    // The ES5-compiled parent pins the prototype to its own, which would make `instanceof RpcError` false.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The message of anything a plugin may throw (it need not be an Error). */
export function errorMessage(thrown: unknown): string {
  if (typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string') {
    return (thrown as { message: string }).message;
  }
  try {
    return String(thrown);
  } catch {
    // Objects without a prototype (Object.create(null)) have no toString.
    return 'a value that cannot be printed was thrown';
  }
}

/**
 * Describes zod issues on one line. Unlike `z.prettifyError`, which says only "Invalid input"
 * for a union, it spells out why each allowed shape was rejected: most answers are unions.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  return issues
    .map((issue) => {
      const path = [...prefix, ...issue.path];
      const at = path.length > 0 ? `at ${path.map(String).join('.')}: ` : '';
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        return `${at}matches none of the allowed shapes: ${issue.errors.map((branch, i) => `(${i + 1}) ${describeIssues(branch, path)}`).join(' ')}`;
      }
      return `${at}${issue.message}`;
    })
    .join('; ');
}
