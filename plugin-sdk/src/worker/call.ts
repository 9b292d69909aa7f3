/**
 * One host -> plugin call's side channel: the `ctx` its handler gets, built on the MessagePort
 * the host hands over with the call (cancellation, nested `host.executeModel` calls, stream
 * chunks).
 *
 * @module
 */
import { MessageChannel, parentPort, type MessagePort } from 'node:worker_threads';
import { JSONRPCClient, isJSONRPCResponse, type JSONRPCID, type JSONRPCResponse } from './json-rpc.js';
import { ErrorCodes, Methods } from '../protocol.js';
import { executeModelParamsSchema, executeModelResultSchema, type ExecuteModelResult } from '../schema.js';
import type { PluginContext, SetupContext } from '../types.js';
import { describeIssues, errorMessage, RpcError } from './rpc-error.js';

/** A call in progress, as the JSON-RPC server's `serverParams`. */
export interface Call {
  /** The handler's context. */
  ctx: PluginContext;
  /** Whether the host cancelled the call. */
  readonly cancelled: boolean;
  /** Posts one `stream.chunk` notification; undefined when the call has no port. */
  sendChunk: ((event: unknown) => void) | undefined;
  /** Ends the call: rejects pending host calls and releases the port. */
  close(): void;
}

/** The callback channel of a call: a MessagePort to the host, with a JSON-RPC client on it. */
interface Channel {
  executeModel(params: unknown): Promise<ExecuteModelResult>;
  sendChunk(event: unknown): void;
  close(): void;
}

/**
 * Opens the side channel of a call to `method`. Executor and `auth.refresh` calls come with a
 * `port` (a refresh must be cancellable: it may spend a rotating refresh token); the short
 * capability calls (routers, interceptors, schedulers) come without one, since creating and
 * transferring a port would cost them more than the call itself. For those the worker opens a
 * channel to the host lazily, over `parentPort`, the first time the handler calls
 * `host.executeModel`; a cancel reaches such a handler only once that channel exists.
 */
export function openCall(method: string, base: SetupContext, port: MessagePort | undefined, requestId: JSONRPCID = null): Call {
  return new OpenCall(method, base, port, requestId);
}

/**
 * A call's state. A class, not object literals with getters: a literal's accessors are made per
 * object, with a map of its own, and cost a short call ~8 µs of the worker's time.
 */
class OpenCall implements Call {
  readonly ctx: PluginContext;
  readonly sendChunk: ((event: unknown) => void) | undefined;
  /** Made on first use: most handlers never look at their signal. */
  #controller: AbortController | undefined;
  #channel: Channel | undefined;
  #ended = false;

  constructor(
    private readonly method: string,
    base: SetupContext,
    private readonly port: MessagePort | undefined,
    private readonly requestId: JSONRPCID,
  ) {
    this.ctx = new CallContext(base, this);
    if (port) {
      const channel = connect(port, this.control);
      this.#channel = channel;
      this.sendChunk = (event) => channel.sendChunk(event);
    }
  }

  /** The call's AbortController, made when first asked for. */
  readonly control = (): AbortController => (this.#controller ??= new AbortController());

  get cancelled(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  executeModel(params: unknown): Promise<ExecuteModelResult> {
    if (this.#ended) return Promise.reject(new Error('host.executeModel: the call that owned this context has ended'));
    if (this.requestId === null && !this.port) return Promise.reject(new Error(`host callbacks are unavailable in this handler (${this.method})`));
    return this.#lazyChannel().executeModel(params);
  }

  /** The portless call's channel, opened over `parentPort` the first time a handler calls the host. */
  #lazyChannel(): Channel {
    if (!this.#channel) {
      const { port1, port2 } = new MessageChannel();
      parentPort!.postMessage({ jsonrpc: '2.0', method: Methods.callPort, params: { id: this.requestId, port: port2 } }, [port2]);
      this.#channel = connect(port1, this.control);
    }
    return this.#channel;
  }

  close(): void {
    this.#ended = true;
    this.#channel?.close();
  }
}

/**
 * The `ctx` a handler gets: the setup context's fields, the call's `signal` and the host
 * callbacks. `signal` is an own, enumerable accessor (a spread of `ctx` keeps it), and every
 * context shares one accessor pair.
 */
class CallContext implements PluginContext {
  readonly pluginId: string;
  readonly config: unknown;
  readonly log: SetupContext['log'];
  readonly host: PluginContext['host'];
  declare readonly signal: AbortSignal;
  #call: OpenCall;

  constructor(base: SetupContext, call: OpenCall) {
    this.pluginId = base.pluginId;
    this.config = base.config;
    this.log = base.log;
    this.host = { executeModel: (params) => call.executeModel(params) };
    this.#call = call;
    Object.defineProperty(this, 'signal', CallContext.#signalAccessor);
  }

  static readonly #signalAccessor: PropertyDescriptor = {
    enumerable: true,
    get(this: CallContext): AbortSignal {
      return this.#call.control().signal;
    },
  };
}

/** The JSON-RPC client and cancel handling on one call's port; `control` gives the call's AbortController. */
function connect(port: MessagePort, control: () => AbortController): Channel {
  const client = new JSONRPCClient((message) => port.postMessage(message));

  const cancel = (): void => {
    const controller = control();
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

  return {
    async executeModel(params) {
      control().signal.throwIfAborted();
      const request = executeModelParamsSchema.safeParse(params);
      if (!request.success) throw new TypeError(`host.executeModel: invalid params: ${describeIssues(request.error.issues)}`);
      const result = executeModelResultSchema.safeParse(await client.request(Methods.executeModel, request.data));
      if (!result.success) throw new TypeError(`host.executeModel: the host answered an invalid result: ${describeIssues(result.error.issues)}`);
      return result.data;
    },
    sendChunk(event) {
      try {
        port.postMessage({ jsonrpc: '2.0', method: Methods.streamChunk, params: { event } });
      } catch (error) {
        // A yielded value that cannot be cloned is a bad answer, not a reason to lose the worker.
        throw new RpcError(ErrorCodes.invalidResult, `executor.stream yielded an event that cannot be sent: ${errorMessage(error)}`);
      }
    },
    close() {
      port.off('message', onMessage);
      port.off('close', cancel);
      client.rejectAllPendingRequests('the call has ended');
      // Messages already posted (the last chunks) are still delivered after close.
      port.close();
    },
  };
}
