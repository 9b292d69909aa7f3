/**
 * One host -> plugin call's side channel: the `ctx` its handler gets, built on the MessagePort
 * the host hands over with the call (cancellation, nested `host.executeModel` calls, stream
 * chunks).
 *
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import { JSONRPCClient, isJSONRPCResponse, type JSONRPCResponse } from 'json-rpc-2.0';
import { ErrorCodes, Methods } from '../protocol.js';
import { executeModelParamsSchema, executeModelResultSchema, type ExecuteModelResult } from '../schema.js';
import type { PluginContext, SetupContext } from '../types.js';
import { describeIssues, errorMessage, RpcError } from './rpc-error.js';

/** A call in progress, as the JSON-RPC server's `serverParams`. */
export interface Call {
  /** The handler's context. */
  ctx: PluginContext;
  /** Posts one `stream.chunk` notification; undefined when the call has no port. */
  sendChunk: ((event: unknown) => void) | undefined;
  /** Ends the call: rejects pending host calls and releases the port. */
  close(): void;
}

/** Opens the side channel of a call to `method`; `port` is absent for the cheap per-chunk calls. */
export function openCall(method: string, base: SetupContext, port: MessagePort | undefined): Call {
  if (!port) {
    const unavailable = new Error(`host callbacks are unavailable in this handler: the host passes no callback port with ${method}`);
    return {
      // Nothing can cancel a call without a port, so this signal never aborts; it is still one per
      // call, so listeners a handler forgets to remove die with its call instead of piling up.
      ctx: { ...base, signal: new AbortController().signal, host: { executeModel: () => Promise.reject(unavailable) } },
      sendChunk: undefined,
      close: () => {},
    };
  }

  const controller = new AbortController();
  const client = new JSONRPCClient((message) => port.postMessage(message));
  let ended = false;

  const cancel = (): void => {
    if (controller.signal.aborted) return;
    controller.abort();
    // The host stops serving nested calls of a cancelled call; don't leave the handler waiting on them.
    client.rejectAllPendingRequests('the call was cancelled');
  };
  const onMessage = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    if (isJSONRPCResponse(message)) client.receive(message as JSONRPCResponse);
    else if ((message as { method?: unknown }).method === Methods.cancel) cancel();
  };
  port.on('message', onMessage);
  // The host closing its end first means nobody will read the answer: same as a cancel.
  port.on('close', cancel);

  const executeModel = async (params: unknown): Promise<ExecuteModelResult> => {
    if (ended) throw new Error('host.executeModel: the call that owned this context has ended');
    controller.signal.throwIfAborted();
    const request = executeModelParamsSchema.safeParse(params);
    if (!request.success) throw new TypeError(`host.executeModel: invalid params: ${describeIssues(request.error.issues)}`);
    const result = executeModelResultSchema.safeParse(await client.request(Methods.executeModel, request.data));
    if (!result.success) throw new TypeError(`host.executeModel: the host answered an invalid result: ${describeIssues(result.error.issues)}`);
    return result.data;
  };

  return {
    ctx: { ...base, signal: controller.signal, host: { executeModel } },
    sendChunk: (event) => {
      try {
        port.postMessage({ jsonrpc: '2.0', method: Methods.streamChunk, params: { event } });
      } catch (error) {
        // A yielded value that cannot be cloned is a bad answer, not a reason to lose the worker.
        throw new RpcError(ErrorCodes.invalidResult, `executor.stream yielded an event that cannot be sent: ${errorMessage(error)}`);
      }
    },
    close: () => {
      ended = true;
      port.off('message', onMessage);
      port.off('close', cancel);
      client.rejectAllPendingRequests('the call has ended');
      // Messages already posted (the last chunks) are still delivered after close.
      port.close();
    },
  };
}
