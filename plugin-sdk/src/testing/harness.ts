/**
 * `@switchyard/plugin-sdk/testing`: runs a plugin the way the Switchyard host does (a real
 * piscina pool with the host's settings, the real worker runtime, the host's own call
 * transport) so plugin authors can unit-test capabilities, deadlines and crashes with any test
 * runner.
 *
 * @example
 * ```js
 * const harness = await createHarness({ plugin: new URL('..', import.meta.url).href, config: { prefix: 'fast-' } });
 * assert.equal((await harness.route({ requestedModel: 'fast-x' })).handled, true);
 * await harness.close();
 * ```
 *
 * @module
 */
import type { z } from 'zod';
import { Methods, PROTOCOL_VERSION } from '../protocol.js';
import {
  logParamsSchema,
  methodSchemas,
  type AuthCredential,
  type AuthRefreshResult,
  type ExecuteModelParams,
  type ExecuteModelResult,
  type ExecutorRequest,
  type ExecutorResult,
  type HostMethod,
  type LogParams,
  type RegisterResult,
  type RequestInterceptParams,
  type RequestInterceptResult,
  type ResponseInterceptParams,
  type ResponseInterceptResult,
  type RouteRequest,
  type RouteResult,
  type SchedulerCandidate,
  type SchedulerPickParams,
  type SchedulerPickResult,
  type StreamInterceptBatchResult,
  type StreamInterceptParams,
  type StreamInterceptResult,
  type WireEvent,
} from '../schema.js';
import type { CallOptions } from '../transport/call.js';
import { Generation, workerEntry } from '../transport/generation.js';
import { HarnessError, toHarnessError, type HarnessFailure } from './error.js';
import { resolvePlugin } from './plugin.js';
import * as requests from './requests.js';
import type { BatchRequest } from './requests.js';

export { HarnessError, type HarnessErrorKind } from './error.js';
export type { BatchRequest } from './requests.js';

/** How to start the plugin under test. */
export interface HarnessOptions {
  /** The plugin package folder (holding package.json; its `main` or index.js is the entry), or an entry module path / file URL. */
  plugin: string;
  /** ctx.config in setup and every handler. */
  config?: unknown;
  /** The worker's whole environment (default {}). */
  env?: Record<string, string>;
  /** Worker threads (default 1); setup runs once in each. */
  threads?: number;
  /** Deadline of every call except executor calls (default 2000 ms). */
  callTimeoutMs?: number;
  /** Deadline of executor calls (default 60000 ms). */
  executorTimeoutMs?: number;
  /** Heap limit of each worker (default 128 MB). */
  heapMb?: number;
  /** Answers ctx.host.executeModel; default: rejects with "no host in this harness". */
  executeModel?: (params: ExecuteModelParams) => ExecuteModelResult | Promise<ExecuteModelResult>;
}

/** A running plugin; every call resolves with the validated answer or rejects with a {@link HarnessError}. */
export interface PluginHarness {
  /** The plugin.register answer (capabilities, interceptorPhase, executor). */
  readonly registration: RegisterResult;
  /** host.log lines the plugin wrote (ctx.log and console). */
  readonly logs: readonly LogParams[];
  /** Calls the router; omitted fields default (requestId 'test', sourceFormat 'openai', stream false, empty headers, query, body, availableProviders). */
  route(req: Partial<RouteRequest> & { requestedModel: string }): Promise<RouteResult>;
  /** Calls the request interceptor in its own phase; the model defaults to the body's `model`. */
  interceptRequest(req: Partial<RequestInterceptParams> & { body: unknown }): Promise<RequestInterceptResult>;
  /** Calls the response interceptor with a 200 from provider 'test' unless told otherwise. */
  interceptResponse(res: Partial<ResponseInterceptParams> & { body: unknown }): Promise<ResponseInterceptResult>;
  /** Calls the stream interceptor (index 0 unless told otherwise); like in the host, without host callbacks. */
  interceptStream(chunk: Partial<StreamInterceptParams> & { event: WireEvent }): Promise<StreamInterceptResult>;
  /**
   * Calls `stream.interceptBatch` (protocol 1.2) the way the host hands over the events of one
   * upstream read: one answer per event, in order, `{error}` for an event the handler threw on.
   * Indices run from `index` (default 0) unless `indices` names each one. The events go one by
   * one (`events`) or as one text (`packed`, 1.3), as the host sends a same-format stream's.
   */
  interceptStreamBatch(batch: BatchRequest): Promise<StreamInterceptBatchResult>;
  /** Calls the scheduler; the provider defaults to the first candidate's. */
  schedule(req: Partial<SchedulerPickParams> & { candidates: SchedulerCandidate[] }): Promise<SchedulerPickResult>;
  /** Calls executor.execute; the model defaults to the body's `model`, else the executor's first model. */
  execute(req: Partial<ExecutorRequest> & { body: unknown }): Promise<ExecutorResult>;
  /** Runs executor.stream and collects every yielded event. */
  stream(req: Partial<ExecutorRequest> & { body: unknown }): Promise<unknown[]>;
  /**
   * Calls the auth capability's `refresh` (protocol 1.1) with a credential of one of the
   * plugin's types, the way the host's refresher does, and resolves with the validated answer
   * (`token` or `headers`, `expiresAt`, `material` and `metadata` to keep).
   *
   * `provider` defaults to `'test'`, `id` to `<provider>#0` and `metadata` to `{}`; the params
   * are checked like the host's (`material` and `metadata` must be objects).
   *
   * Aborting `options.signal` cancels the call as the host does when it gives a refresh up: the
   * handler's `ctx.signal` aborts, and the call rejects with a {@link HarnessError} of kind
   * `'error'` and code `ErrorCodes.cancelled` unless the handler has already answered.
   *
   * @example
   * ```js
   * const answer = await harness.refresh({ type: 'oauth2', material: { refresh_token: 'rt-1' } });
   * assert.equal(typeof answer.token, 'string');
   * ```
   */
  refresh(credential: Partial<AuthCredential> & Pick<AuthCredential, 'type' | 'material'>, options?: { signal?: AbortSignal }): Promise<AuthRefreshResult>;
  /** Runs the plugin's shutdown hook when no call is running, then stops the workers. */
  close(): Promise<void>;
}

type Result<M extends HostMethod> = z.infer<(typeof methodSchemas)[M]['result']>;

/**
 * Log lines travel on another port than the answers, so they can arrive after the answer of
 * the call that wrote them; one turn of the event loop lets them land in `logs` before the
 * test looks.
 */
const logsLanded = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The host's deadline of `plugin.register`, worker start-up and plugin setup included. */
const REGISTER_TIMEOUT = 10_000;

/** Starts the worker(s), runs setup and the register handshake; rejects with HarnessError 'crash' if setup fails. */
export async function createHarness(options: HarnessOptions): Promise<PluginHarness> {
  const { pluginId, entry } = await resolvePlugin(options.plugin);
  const logs: LogParams[] = [];
  let failure: HarnessFailure | undefined;
  const gen = new Generation(
    {
      // Resolved per harness, not at import: a test file may import this module before it builds dist.
      filename: workerEntry(),
      workerData: { pluginId, entry, config: options.config },
      threads: options.threads ?? 1,
      env: options.env ?? {},
      heapMb: options.heapMb ?? 128,
    },
    (_gen, reason, kind) => (failure ??= { kind: kind ?? 'crash', reason }),
    (msg) => {
      const m = msg as { method?: unknown; params?: unknown } | null;
      const log = m?.method === Methods.log ? logParamsSchema.safeParse(m.params) : undefined;
      if (log?.success) logs.push(log.data);
    },
  );

  const executeModel = options.executeModel;
  const callOptions: CallOptions = {
    onHostRequest: async (_method, params) => {
      if (!executeModel) throw new Error('no host in this harness: pass executeModel to createHarness');
      return executeModel(params as ExecuteModelParams);
    },
  };
  const call = async <M extends HostMethod>(method: M, params: unknown, extra: CallOptions = {}): Promise<Result<M>> => {
    const timeout = method.startsWith('executor.') ? (options.executorTimeoutMs ?? 60_000) : (options.callTimeoutMs ?? 2_000);
    try {
      return (await gen.call(method, params, timeout, { ...callOptions, ...extra }, methodSchemas[method].result)) as Result<M>;
    } catch (err) {
      throw toHarnessError(err, failure);
    } finally {
      await logsLanded();
    }
  };

  let registration: RegisterResult;
  try {
    registration = (await gen.call(Methods.register, { protocol: PROTOCOL_VERSION, pluginId }, REGISTER_TIMEOUT, {}, methodSchemas[Methods.register].result)) as RegisterResult;
  } catch (err) {
    await gen.destroy('start failed');
    // A setup that throws fails the worker's start-up: the pool reports it, the call only sees the pool go.
    const reason = failure?.reason ?? (err as Error).message;
    throw new HarnessError(failure?.kind ?? 'crash', `plugin ${pluginId} failed to start: ${reason}`);
  }
  await logsLanded();

  return {
    registration,
    logs,
    route: (req) => call(Methods.route, requests.routeRequest(req)),
    interceptRequest: (req) => call(Methods.requestIntercept, requests.requestIntercept(req, registration)),
    interceptResponse: (res) => call(Methods.responseIntercept, requests.responseIntercept(res)),
    interceptStream: (chunk) => call(Methods.streamIntercept, requests.streamIntercept(chunk)),
    interceptStreamBatch: (batch) => call(Methods.streamInterceptBatch, requests.streamInterceptBatch(batch)),
    schedule: (req) => call(Methods.schedulerPick, requests.schedulerPick(req)),
    execute: (req) => call(Methods.executorExecute, requests.executorRequest(req, registration, false)),
    async stream(req) {
      const events: unknown[] = [];
      await call(Methods.executorStream, requests.executorRequest(req, registration, true), { onChunk: (event) => events.push(event) });
      return events;
    },
    refresh: (credential, { signal } = {}) => call(Methods.authRefresh, requests.authCredential(credential), { signal }),
    // Calls still running are abandoned rather than awaited: a test's cleanup must not hang on them.
    close: () => (gen.inFlight === 0 ? gen.drain() : gen.destroy('harness closed')),
  };
}
