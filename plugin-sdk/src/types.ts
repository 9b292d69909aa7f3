/**
 * The types plugin authors write against. Every payload type comes from `schema.ts` (inferred
 * from the zod schemas the worker validates with), so what TypeScript accepts and what the wire
 * accepts cannot drift apart.
 *
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import type { JSONRPCRequest } from 'json-rpc-2.0';
import type {
  AuthCredential,
  AuthRefreshResult,
  ExecuteModelParams,
  ExecuteModelResult,
  ExecutorRequest,
  ExecutorResult,
  Format,
  InterceptorPhase,
  RequestInterceptParams,
  RequestInterceptResult,
  ResponseInterceptParams,
  ResponseInterceptResult,
  RouteRequest,
  RouteResult,
  SchedulerPickParams,
  SchedulerPickResult,
  StreamInterceptParams,
  StreamInterceptResult,
} from './schema.js';

/** A value or a promise of it: every handler may be sync or async. */
export type Awaitable<T> = T | Promise<T>;

/** Fields attached to a log line; they must survive structured cloning. */
export type LogFields = Record<string, unknown>;

/** Logger handed to plugins; each line reaches the host's log as a `host.log` notification. */
export interface PluginLogger {
  /** Logs at debug level. */
  debug(message: string, fields?: LogFields): void;
  /** Logs at info level. */
  info(message: string, fields?: LogFields): void;
  /** Logs at warn level. */
  warn(message: string, fields?: LogFields): void;
  /** Logs at error level. */
  error(message: string, fields?: LogFields): void;
}

/** What `setup` receives: once per worker, before the worker serves any call. */
export interface SetupContext<Config = unknown> {
  /** The plugin's id (from its package.json `switchyard.id`). */
  pluginId: string;
  /** The plugin's `config` from switchyard.yaml. */
  config: Config;
  /** Logger that writes to the host's log. */
  log: PluginLogger;
}

/** Calls a plugin may make back into the host while it handles a call. */
export interface HostApi {
  /**
   * Runs a nested request through the whole pipeline (skipping the calling plugin's router).
   * Rejects in handlers that get no callback port (`stream.intercept`), once the call was
   * cancelled, and after the call has ended.
   */
  executeModel(params: ExecuteModelParams): Promise<ExecuteModelResult>;
}

/** What every capability handler receives next to its request. */
export interface PluginContext<Config = unknown> extends SetupContext<Config> {
  /** Aborted when the host cancels the call (the client went away or the call was abandoned). */
  signal: AbortSignal;
  /** Callbacks into the host. */
  host: HostApi;
}

/** A request interceptor and the phase it runs in. */
export interface RequestInterceptor<Config = unknown> {
  /** `beforeAuth` sees the client's body; `afterAuth` the body about to go upstream. */
  phase: InterceptorPhase;
  /** Returns nothing (no change), `{headers?, body?}` or `{reject: {status, body?, headers?}}`. */
  intercept(req: RequestInterceptParams, ctx: PluginContext<Config>): Awaitable<RequestInterceptResult | void>;
}

/** A model an executor serves; it enters the host's model registry. */
export interface ExecutorModel {
  /** The model name clients ask for. */
  id: string;
  /** A human-readable name for model listings. */
  displayName?: string;
}

/** An executor: serves a new provider key for the listed models. */
export interface Executor<Config = unknown> {
  /** The provider key this executor serves (lower-case: `[a-z0-9][a-z0-9_.-]*`). */
  provider: string;
  /** The API format of the bodies `execute` and `stream` receive and produce. */
  format: Format;
  /** The models served. */
  models: ExecutorModel[];
  /** Answers a non-stream request. Throw an {@link UpstreamError} to fail like an upstream. */
  execute(req: ExecutorRequest, ctx: PluginContext<Config>): Awaitable<ExecutorResult>;
  /** Answers a stream request by yielding events in `format`; without it, stream calls fail. */
  stream?(req: ExecutorRequest, ctx: PluginContext<Config>): AsyncIterable<unknown>;
}

/**
 * Keeps credentials that expire usable (protocol 1.1): OAuth tokens, service accounts. Only
 * credentials of `types` reach this plugin, and only this plugin sees their material.
 */
export interface Auth<Config = unknown> {
  /** The credential `type`s (the credential files' `type` field) this plugin refreshes. */
  types: string[];
  /**
   * Fresh material for `credential`: a `token` (sent as `Authorization: Bearer`) or `headers`,
   * when they expire, and `material` to write back to the credential's file (a rotated refresh
   * token) and `metadata` to keep. Throw to fail the refresh (the host backs off and retries).
   */
  refresh(credential: AuthCredential, ctx: PluginContext<Config>): Awaitable<AuthRefreshResult>;
}

/**
 * A plugin: the default export of its entry module. The capabilities it has are the keys it
 * defines; a plain object works, {@link definePlugin} only adds types.
 */
export interface PluginDefinition<Config = unknown> {
  /** Runs once per worker before any call; if it throws, the plugin does not start. */
  setup?(ctx: SetupContext<Config>): Awaitable<void>;
  /** Runs when the host drains the plugin. */
  shutdown?(): Awaitable<void>;
  /** Picks a target for a request, or answers `{handled: false}` to pass. */
  modelRouter?(req: RouteRequest, ctx: PluginContext<Config>): Awaitable<RouteResult>;
  /** Changes or rejects requests before they go upstream. */
  requestInterceptor?: RequestInterceptor<Config>;
  /** Changes non-stream successful responses. */
  responseInterceptor?(res: ResponseInterceptParams, ctx: PluginContext<Config>): Awaitable<ResponseInterceptResult | void>;
  /**
   * Replaces or drops client-format stream events, called once per event, in stream order (with
   * protocol 1.2 the events of one upstream read arrive in one call and are handed over one by
   * one). Has no host callbacks (`ctx.host` rejects).
   */
  streamInterceptor?(chunk: StreamInterceptParams, ctx: PluginContext<Config>): Awaitable<StreamInterceptResult | void>;
  /** Picks the credential for a request among the candidates. */
  scheduler?(req: SchedulerPickParams, ctx: PluginContext<Config>): Awaitable<SchedulerPickResult>;
  /** Serves a provider of its own. */
  executor?: Executor<Config>;
  /** Refreshes credentials of some types (protocol 1.1). */
  auth?: Auth<Config>;
}

/** One host -> plugin call as a piscina task: the request and, for most methods, a callback port. */
export interface WorkerTask {
  /** The JSON-RPC request (or notification). */
  request: JSONRPCRequest;
  /** Carries `stream.chunk`, `$/cancel` and `host.executeModel` for this call. */
  port?: MessagePort;
}
