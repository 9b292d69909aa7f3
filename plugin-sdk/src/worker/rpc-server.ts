/**
 * The worker's JSON-RPC 2.0 server: a method table that answers a request with its response,
 * synchronously when the method answers synchronously. A router or an interceptor that answers
 * at once is answered without a promise of the server's own; `json-rpc-2.0`'s server awaited
 * several per call, which cost a short call ~20 µs of its round trip inside a serving host.
 *
 * @module
 */
import { JSONRPCErrorCode, JSONRPCErrorException, type JSONRPCID, type JSONRPCRequest, type JSONRPCResponse } from './json-rpc.js';

/** A method: its result, or a promise of it. A throw (or rejection) is its error answer. */
export type RpcMethod<P> = (params: unknown, serverParams: P) => unknown;

/** Whether `value` is a promise (or any thenable) to wait for. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export class RpcServer<P> {
  readonly #methods = new Map<string, RpcMethod<P>>();

  /** Adds (or replaces) the method called `name`. */
  addMethod(name: string, method: RpcMethod<P>): void {
    this.#methods.set(name, method);
  }

  /**
   * Answers `request`: its response, a promise of it when the method answers asynchronously, or
   * null for a notification. Never throws: every failure is an error response.
   */
  receive(request: JSONRPCRequest, serverParams: P): JSONRPCResponse | null | Promise<JSONRPCResponse | null> {
    const id = request.id;
    if (!isRequest(request)) return errorResponse(isId(id) ? id : null, JSONRPCErrorCode.InvalidRequest, 'Invalid Request');
    const method = this.#methods.get(request.method);
    if (!method) return id === undefined ? null : errorResponse(id, JSONRPCErrorCode.MethodNotFound, 'Method not found');
    let result: unknown;
    try {
      result = method(request.params, serverParams);
    } catch (error) {
      return failed(id, error);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => succeeded(id, value),
        (error: unknown) => failed(id, error),
      );
    }
    return succeeded(id, result);
  }
}

function isId(id: unknown): id is JSONRPCID {
  return typeof id === 'string' || typeof id === 'number' || id === null;
}

function isRequest(payload: JSONRPCRequest): boolean {
  const p = payload as Partial<JSONRPCRequest> & { result?: unknown; error?: unknown };
  return p?.jsonrpc === '2.0' && typeof p.method === 'string' && p.result === undefined && p.error === undefined;
}

function succeeded(id: JSONRPCID | undefined, result: unknown): JSONRPCResponse | null {
  return id === undefined ? null : { jsonrpc: '2.0', id, result: result ?? null };
}

/** An error answer: a {@link JSONRPCErrorException}'s code and data, else code 0 and the message. */
function failed(id: JSONRPCID | undefined, error: unknown): JSONRPCResponse | null {
  if (id === undefined) return null;
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : 'An unexpected error occurred';
  return error instanceof JSONRPCErrorException ? errorResponse(id, error.code, text, error.data) : errorResponse(id, 0, text);
}

function errorResponse(id: JSONRPCID, code: number, message: string, data?: unknown): JSONRPCResponse {
  return { jsonrpc: '2.0', id, error: data == null ? { code, message } : { code, message, data } };
}
