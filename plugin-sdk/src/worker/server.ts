/**
 * The worker's JSON-RPC server: one method per host -> plugin call. Each capability method
 * validates its params, calls the plugin's handler, validates the answer and maps whatever
 * went wrong to the protocol's error codes.
 *
 * @module
 */
import { JSONRPCErrorCode } from './json-rpc.js';
import { isThenable, RpcServer } from './rpc-server.js';
import type { z } from 'zod';
import { compatibleProtocol, ErrorCodes, Methods, PROTOCOL_VERSION } from '../protocol.js';
import {
  methodSchemas,
  registerParamsSchema,
  streamInterceptResultSchema,
  type HostMethod,
  type RegisterResult,
  type BatchEvent,
  batchSize,
  type PackedEvents,
  type StreamInterceptBatchParams,
  type StreamInterceptBatchResult,
  type StreamInterceptParams,
  type UpstreamStatus,
  type WireEvent,
} from '../schema.js';
import type { Call } from './call.js';
import type { LoadedPlugin } from './definition.js';
import { describeIssues, errorMessage, RpcError } from './rpc-error.js';
import { pump } from './stream.js';

type Handler<M extends HostMethod> = (params: z.output<(typeof methodSchemas)[M]['params']>, call: Call) => unknown;

/** Builds the server answering every host -> plugin method for `plugin`. */
export function createServer(plugin: LoadedPlugin, pluginId: string): RpcServer<Call> {
  const { definition } = plugin;
  const server = new RpcServer<Call>();

  server.addMethod(Methods.ping, () => 'pong');
  server.addMethod(Methods.register, (params): RegisterResult => {
    const { protocol } = parse(registerParamsSchema, params, Methods.register);
    if (!compatibleProtocol(protocol)) {
      throw new RpcError(ErrorCodes.protocolMismatch, `host protocol ${protocol} is not compatible with the SDK's protocol ${PROTOCOL_VERSION}`, {
        host: protocol,
        sdk: PROTOCOL_VERSION,
      });
    }
    return { id: pluginId, protocol: PROTOCOL_VERSION, ...plugin.registration };
  });
  server.addMethod(Methods.shutdown, async () => {
    try {
      await definition.shutdown?.();
    } catch (error) {
      throw new RpcError(ErrorCodes.handlerError, errorMessage(error));
    }
    return null;
  });

  const serve = <M extends HostMethod>(method: M, handler: Handler<M> | undefined, upstream = false): void => {
    server.addMethod(method, (params, call) => answer(method, handler, params, call, upstream));
  };
  const { requestInterceptor: interceptor, executor } = definition;
  serve(Methods.route, definition.modelRouter && ((req, call) => definition.modelRouter!(req, call.ctx)));
  serve(Methods.requestIntercept, interceptor && ((req, call) => interceptor.intercept(req, call.ctx)));
  serve(Methods.responseIntercept, definition.responseInterceptor && ((res, call) => definition.responseInterceptor!(res, call.ctx)));
  serve(Methods.streamIntercept, definition.streamInterceptor && ((chunk, call) => definition.streamInterceptor!(chunk, call.ctx)));
  serve(Methods.streamInterceptBatch, definition.streamInterceptor && ((batch, call) => interceptEach(batch, (chunk) => definition.streamInterceptor!(chunk, call.ctx))));
  serve(Methods.schedulerPick, definition.scheduler && ((req, call) => definition.scheduler!(req, call.ctx)));
  serve(Methods.authRefresh, definition.auth && ((credential, call) => definition.auth!.refresh(credential, call.ctx)));
  serve(Methods.executorExecute, executor && ((req, call) => executor.execute(req, call.ctx)), true);
  serve(
    Methods.executorStream,
    executor?.stream &&
      (async (req, call) => {
        if (!call.sendChunk) throw new RpcError(JSONRPCErrorCode.InvalidRequest, 'executor.stream needs a callback port for its chunks');
        await pump(executor.stream!(req, call.ctx), call.ctx.signal, call.sendChunk);
        return {};
      }),
    true,
  );
  return server;
}

/**
 * Runs one capability call; `upstream` lets a thrown `{status}` fail like an upstream (executors).
 * A handler that answers synchronously is answered synchronously: no promise for the common
 * router or interceptor that decides at once.
 */
function answer<M extends HostMethod>(method: M, handler: Handler<M> | undefined, params: unknown, call: Call, upstream: boolean): unknown {
  if (!handler) throw new RpcError(ErrorCodes.capabilityMissing, `the plugin does not define the capability behind ${method}`);
  const { params: paramsSchema, result: resultSchema } = methodSchemas[method] as { params: z.ZodType; result: z.ZodType };
  const request = parse(paramsSchema, params, method) as Parameters<Handler<M>>[0];
  let result: unknown;
  try {
    result = handler(request, call);
  } catch (error) {
    throw mapThrown(error, call.cancelled, upstream);
  }
  if (!isThenable(result)) return check(method, resultSchema, result, call);
  return Promise.resolve(result).then(
    (value) => check(method, resultSchema, value, call),
    (error: unknown) => {
      throw mapThrown(error, call.cancelled, upstream);
    },
  );
}

/** The handler's answer, validated; a cancelled call's answer is the host's to ignore, so it fails. */
function check(method: HostMethod, schema: z.ZodType, result: unknown, call: Call): unknown {
  if (call.cancelled) throw new RpcError(ErrorCodes.cancelled, `${method} was cancelled`);
  const checked = schema.safeParse(result ?? null);
  if (!checked.success) throw new RpcError(ErrorCodes.invalidResult, `${method} answered an invalid result: ${describeIssues(checked.error.issues)}`);
  return checked.data;
}

/**
 * Serves `stream.interceptBatch` (1.2) with the plugin's own per-event handler, one event after
 * the other, so plugins written for `stream.intercept` need no change. A handler that throws on
 * (or answers invalidly for) one event fails that event alone: the others are still served.
 * While the handler answers synchronously, so does the batch: most handlers do.
 */
function interceptEach(
  batch: StreamInterceptBatchParams,
  intercept: (chunk: StreamInterceptParams) => unknown,
): StreamInterceptBatchResult | Promise<StreamInterceptBatchResult> {
  const { requestId, sourceFormat, index, indices, events, packed } = batch;
  const answers: StreamInterceptBatchResult = [];
  const count = batchSize(batch);
  /** Event `i`'s handler answer (or a promise of it); a throw is that event's failure. */
  const run = (i: number): unknown => {
    const event = packed ? packedEvent(packed, i) : wireEvent(events![i]!);
    return intercept({ requestId, index: indices?.[i] ?? index + i, sourceFormat, event });
  };
  /** The rest of the batch, from event `first`, whose answer is `pending`, one event after the other. */
  const rest = async (first: number, pending: PromiseLike<unknown>): Promise<StreamInterceptBatchResult> => {
    for (let i = first; i < count; i++) {
      try {
        answers.push(eventAnswer(await (i === first ? pending : run(i))));
      } catch (error) {
        answers.push({ error: errorMessage(error) });
      }
    }
    return answers;
  };
  for (let i = 0; i < count; i++) {
    let result: unknown;
    try {
      result = run(i);
      if (!isThenable(result)) {
        answers.push(eventAnswer(result));
        continue;
      }
    } catch (error) {
      answers.push({ error: errorMessage(error) });
      continue;
    }
    return rest(i, result);
  }
  return answers;
}

/** One event's answer in a batch: null keeps the event (most answers), else the validated change or why it is invalid. */
function eventAnswer(result: unknown): StreamInterceptBatchResult[number] {
  if (result === undefined || result === null) return null;
  const checked = streamInterceptResultSchema.safeParse(result);
  return checked.success ? checked.data : { error: `answered an invalid result: ${describeIssues(checked.error.issues)}` };
}

/** `{`: a text that starts with it is a JSON object's, parsed when the handler reads it. */
const OPEN_BRACE = 0x7b;

/**
 * The event a handler sees for a batch event: one sent as JSON text gets a `data` parsed on
 * first read (text that is not JSON stays text), so a handler that never looks at it costs no
 * parse. Assigning `data` replaces it like any property.
 */
function wireEvent({ event, data, json }: BatchEvent): WireEvent {
  if (json === undefined) return (event === undefined ? { data } : { event, data }) as WireEvent;
  return new LazyEvent(json, 0, json.length, event) as unknown as WireEvent;
}

/** Event `i` of a packed batch, read as {@link wireEvent} reads a `json` or a `data` string. */
function packedEvent({ text, ends, names }: PackedEvents, i: number): WireEvent {
  const start = i === 0 ? 0 : ends[i - 1]!;
  const end = ends[i]!;
  const event = names?.[i] ?? undefined;
  if (start < end && text.charCodeAt(start) === OPEN_BRACE) return new LazyEvent(text, start, end, event) as unknown as WireEvent;
  const data = text.slice(start, end);
  return (event === undefined ? { data } : { event, data }) as WireEvent;
}

/**
 * A batch event whose `data` is parsed from its JSON text (`source` from `start` to `end`) on
 * first read. `data` is an own, enumerable accessor (a spread, `JSON.stringify` or the reply's
 * structured clone see it like a plain property), and every instance shares one accessor pair:
 * accessors made per event would give each object a map of its own, which cost a 100-event
 * batch ~200 µs and kept the worker's young generation promoting.
 */
class LazyEvent {
  declare event?: string;
  #source: string;
  #start: number;
  #end: number;
  #data: unknown;
  #parsed = false;

  constructor(source: string, start: number, end: number, event: string | undefined) {
    if (event !== undefined) this.event = event;
    this.#source = source;
    this.#start = start;
    this.#end = end;
    Object.defineProperty(this, 'data', LazyEvent.#dataAccessor);
  }

  static readonly #dataAccessor: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: LazyEvent): unknown {
      if (!this.#parsed) {
        this.#parsed = true;
        const json = this.#source.slice(this.#start, this.#end);
        try {
          this.#data = JSON.parse(json);
        } catch {
          this.#data = json;
        }
      }
      return this.#data;
    },
    set(this: LazyEvent, value: unknown) {
      this.#parsed = true;
      this.#data = value;
    },
  };
}

/** Validates params, answering -32602 when they do not fit. */
function parse<T>(schema: z.ZodType<T>, params: unknown, method: string): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new RpcError(JSONRPCErrorCode.InvalidParams, `invalid params for ${method}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Maps what a handler threw to the error the host gets. */
function mapThrown(error: unknown, cancelled: boolean, upstream: boolean): RpcError {
  if (error instanceof RpcError) return error;
  if (cancelled) return new RpcError(ErrorCodes.cancelled, `cancelled: ${errorMessage(error)}`);
  const status = upstream ? upstreamStatusOf(error) : undefined;
  if (status) return new RpcError(ErrorCodes.upstreamStatus, status.message ?? `upstream status ${status.status}`, status);
  return new RpcError(ErrorCodes.handlerError, errorMessage(error));
}

/** Reads `{status, retryAfterMs?, message?}` off a thrown value; invalid optional parts are dropped. */
function upstreamStatusOf(error: unknown): UpstreamStatus | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, retryAfterMs, message } = error as Record<string, unknown>;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) return undefined;
  const data: UpstreamStatus = { status };
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) data.retryAfterMs = retryAfterMs;
  if (typeof message === 'string' && message !== '') data.message = message;
  return data;
}
