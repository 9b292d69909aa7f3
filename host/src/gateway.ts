/**
 * The running gateway: loads the config, builds the runtime, serves HTTP, and swaps in a new
 * runtime when the config file changes (in-flight requests finish on the one they started with).
 * Shutting down stops accepting, lets requests in flight finish up to a deadline, then stops
 * the plugins and flushes the credential state.
 *
 * @module
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { redactConfig } from './config/redact.js';
import { CredentialFiles } from './core/auth/files.js';
import { Headroom } from './core/conductor/headroom.js';
import { Refresher } from './core/auth/refresher.js';
import { refreshThroughPlugin } from './pipeline/plugins/auth.js';
import { ConfigError, type LoadOptions, type LoadedConfig, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { type ConfigWatcher, watchConfig } from './config/watch.js';
import { ModelDiscovery } from './core/discovery.js';
import type { ConductorShared, CredentialChange } from './core/conductor/shared.js';
import type { ConversationStore } from './core/state/conversations.js';
import { openStores } from './core/state/open.js';
import type { StateBackend } from './core/state/replica/backend.js';
import { StateUrlError } from './core/state/redis/url.js';
import { gatewayError } from './errors/registry.js';
import { createServer } from './http/server.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics/registry.js';
import { Dispatchers } from './upstream/dispatchers.js';
import { executeNested } from './pipeline/plugins/nested.js';
import { type Runtime, type RuntimeDeps, buildRuntime } from './pipeline/runtime.js';
import { serve } from './pipeline/serve.js';
import { type LiveEvent, EventHub } from './pipeline/events.js';
import { TraceRing } from './pipeline/trace/ring.js';
import type { PluginSnapshot } from './plugins/supervisor.js';
import { PluginHost } from './plugins/plugin-host.js';
import type { WorkerLink } from './workers/worker.js';

/**
 * Connections the kernel may queue before the host accepts them (capped by net.core.somaxconn).
 * Node's default of 511 overflows when a fleet of agents connects at once: a dropped SYN is
 * retried only after a second or more, and past the client's connect timeout it fails.
 */
const LISTEN_BACKLOG = 4096;
import { workerEntry } from '@switchyard/plugin-sdk/transport';

/** The compiled worker runtime every plugin pool runs. */
const WORKER_ENTRY = workerEntry();
/** After a shutdown's deadline ended the requests in flight, how long their answers may take to go out. */
const FORCE_CLOSE_MS = 1_000;
/** How often a shutdown closes keep-alive connections that went idle, so none holds it up. */
const REAP_IDLE_MS = 100;

export interface GatewayOptions extends LoadOptions {
  /** Watch the config file for changes (default true). */
  watch?: boolean;
  logger?: FastifyBaseLogger;
  /** In a worker process of `serve --workers` with the memory store: the primary's shared state. */
  stateBackend?: StateBackend;
  /** In a worker process of `serve --workers` with the memory store: the primary's stored Responses conversations. */
  conversations?: ConversationStore;
  /** In a worker process of `serve --workers`: `/metrics` answers for every worker, and a management reload reaches them all. */
  worker?: WorkerLink;
}

/** A running gateway; start one with {@link Gateway.start}. */
export class Gateway {
  #runtime: Runtime;
  /** What every runtime is built with: the connection pools, the shared state, plugins, metrics, the access log. */
  readonly #deps: RuntimeDeps;
  readonly #options: GatewayOptions;
  readonly #plugins: PluginHost;
  /** Lists the models of credentials without configured ones, and keeps their last good lists across reloads. */
  readonly #discovery: ModelDiscovery;
  #watcher: ConfigWatcher | undefined;
  #closed = false;
  #stopped: Promise<void> | undefined;

  private constructor(
    readonly server: FastifyInstance,
    readonly log: FastifyBaseLogger,
    runtime: Runtime,
    deps: RuntimeDeps,
    options: GatewayOptions,
    plugins: PluginHost,
    discovery: ModelDiscovery,
    readonly configFile: string | undefined,
  ) {
    this.#discovery = discovery;
    this.#runtime = runtime;
    this.#deps = deps;
    this.#options = options;
    this.#plugins = plugins;
  }

  /** Loads the config and starts serving. Throws `ConfigError` for an invalid config. */
  static async start(options: GatewayOptions = {}): Promise<Gateway> {
    const log = options.logger ?? createLogger();
    const loaded = loadConfig(options);
    // Upstream timeouts are fixed for the pools' life: a change needs a restart.
    const dispatchers = new Dispatchers(loaded.config.limits);
    // Where state lives is fixed for the process's life: a changed authDir or state section needs a restart.
    const stores = await openStores(loaded.config, {
      workersBackend: options.stateBackend,
      workersConversations: options.conversations,
      warn: (reason, msg) => log.warn({ reason }, msg),
      onStatus: (health) =>
        health.up ? log.info({ store: health.store }, 'state store reachable again: local changes written back') : log.error({ store: health.store, reason: health.error }, 'state store unreachable: serving from the local view'),
    }).catch((err: unknown) => {
      throw err instanceof StateUrlError ? new ConfigError(err.message) : err;
    });
    const events = new EventHub();
    const shared: ConductorShared = { store: stores.state, lastErrors: new Map(), headroom: new Headroom(), onCredentialChange: (change) => events.active && events.emit(credentialEvent(change)) };
    let gateway: Gateway | undefined;
    let pluginStates = new Map<string, string>();
    const metrics = new Metrics(() => gateway && gateway.#runtime);
    const plugins = new PluginHost({
      workerFilename: WORKER_ENTRY,
      logger: log,
      observer: metrics,
      // A change in the set of active plugins (executors above all) rebuilds the catalog.
      onChange: () => {
        pluginStates = emitPluginChanges(events, pluginStates, plugins.list());
        if (gateway) gateway.#rebuild();
      },
      onHostRequest: async (pluginId, method, params) => {
        if (method !== 'host.executeModel') throw new Error(`unknown host method ${method}`);
        // A call outside any request (a scheduler's): nested, with no parent to follow.
        return executeNested(gateway!.#runtime, serve, { callerId: pluginId }, params);
      },
    });
    // A disabled plugins section loads nothing, so the host's lists simply stay empty.
    await plugins.load(loaded.config.plugins);
    const conversations = stores.conversations;
    // Where the credential files live is fixed for the process's life, like authDir itself.
    const credentials = {
      files: new CredentialFiles(loaded.config.authDir, (message) => log.warn(message)),
      refresher: new Refresher({ refresh: (credential, signal) => refreshThroughPlugin(plugins, credential, signal), shared: stores.tokens }),
    };
    const deps: RuntimeDeps = { dispatchers, shared, plugins, observer: metrics, accessLog: (line, msg) => log.info(line, msg), conversations, credentials };
    const runtime = buildRuntime(loaded.config, deps);
    const discovery = new ModelDiscovery(log);
    await discovery.refresh(runtime.catalog);
    const worker = options.worker;
    worker?.shareMetrics(metrics.registry);
    const server = createServer({
      runtime: () => gateway!.#runtime,
      reload: async () => {
        await gateway!.reload();
        // Each worker watches the config file itself, but a reload asked of one must reach all.
        worker?.reloadOthers();
      },
      plugins,
      metrics,
      credentialFiles: credentials,
      config: {
        view: () => ({ path: gateway!.configFile ?? null, config: redactConfig(gateway!.#runtime.config) }),
        validate: () => gateway!.validate(),
      },
      traces: new TraceRing(loaded.config.logging.requests),
      events,
      scrape: worker && (() => worker.scrape()),
      limits: loaded.config.limits,
      logger: log,
    });
    gateway = new Gateway(server, log, runtime, deps, options, plugins, discovery, loaded.file);
    worker?.onReload(() => gateway!.reload());
    plugins.watch();
    // A credential file added, changed or removed joins, updates or leaves its provider at once.
    credentials.files.watch(() => gateway!.#rebuild());
    credentials.refresher.start();
    discovery.schedule(() => (gateway!.#closed ? undefined : gateway!.#runtime.catalog));
    await server.listen({ host: loaded.config.host, port: loaded.config.port, backlog: LISTEN_BACKLOG });
    log.info({ url: gateway.url, config: loaded.file ?? 'built-in defaults', providers: loaded.config.providers.map((p) => p.name) }, 'switchyard listening');
    if (loaded.file && options.watch !== false) {
      gateway.#watcher = watchConfig(
        { ...loaded, file: loaded.file },
        options,
        (next) => void gateway!.apply(next),
        (err) => log.error({ reason: err.message }, 'config change ignored: the running config stays'),
      );
    }
    return gateway;
  }

  /** The config in force. */
  get config(): Config {
    return this.#runtime.config;
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  /** `http://host:port` the server listens on. */
  get url(): string {
    const address = this.server.server.address();
    if (address === null || typeof address === 'string') return String(address);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Applies a new config: builds and fills the new runtime first, then swaps it in, so no
   * request sees a half-built one. Listen address and client limit changes need a restart.
   */
  async apply(loaded: LoadedConfig): Promise<void> {
    if (this.#closed) return;
    const previous = this.#runtime.config;
    await this.#plugins.apply(loaded.config.plugins);
    const next = buildRuntime(loaded.config, this.#deps);
    await this.#discovery.refresh(next.catalog);
    if (this.#closed) return;
    this.#runtime = next;
    this.#discovery.schedule(() => (this.#closed ? undefined : this.#runtime.catalog));
    const restartNeeded =
      previous.host !== loaded.config.host ||
      previous.port !== loaded.config.port ||
      previous.authDir !== loaded.config.authDir ||
      previous.limits.bodyBytes !== loaded.config.limits.bodyBytes ||
      previous.limits.connectTimeout !== loaded.config.limits.connectTimeout ||
      previous.limits.headersTimeout !== loaded.config.limits.headersTimeout ||
      previous.limits.bodyTimeout !== loaded.config.limits.bodyTimeout ||
      previous.limits.requestTimeout !== loaded.config.limits.requestTimeout ||
      previous.limits.socketTimeout !== loaded.config.limits.socketTimeout;
    this.log.info({ providers: loaded.config.providers.map((p) => p.name), restartNeeded }, 'config applied');
  }

  /**
   * Rebuilds the runtime for the same config after plugins changed, keeping the models already
   * listed from upstreams (a plugin change does not call upstreams again).
   */
  #rebuild(): void {
    if (this.#closed) return;
    const current = this.#runtime;
    const next = buildRuntime(current.config, this.#deps);
    for (const provider of current.catalog.providers.values()) {
      for (const c of provider.credentials) {
        const listed = current.catalog.listedModels(c.id);
        if (listed) next.catalog.setListedModels(c.id, listed);
      }
    }
    this.#runtime = next;
  }

  /** Re-reads the config file and the plugins dir now (management `POST /reload`). Throws `ConfigError` if invalid. */
  async reload(): Promise<void> {
    await this.apply(loadConfig({ ...this.#options, file: this.configFile ?? this.#options.file }));
  }

  /**
   * Whether the config file as it is now would load, without applying it. Only the lines naming
   * the file are kept: a YAML error's excerpt of the file could show a key.
   */
  validate(): { valid: true } | { valid: false; error: string } {
    try {
      loadConfig({ ...this.#options, file: this.configFile ?? this.#options.file });
      return { valid: true };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const label = this.configFile ?? 'built-in defaults';
      return { valid: false, error: err.message.split('\n').filter((line) => line.startsWith(`${label}:`)).join('\n') };
    }
  }

  /**
   * Stops gracefully: stops accepting connections, lets the requests in flight finish for up to
   * `deadlineMs`, then ends those still open (a stream with its format's error event, a pending
   * answer with 503), stops the plugin pools and flushes the credential state. Idempotent.
   */
  shutdown(deadlineMs: number): Promise<void> {
    this.#stopped ??= this.#stop(deadlineMs);
    return this.#stopped;
  }

  /** Stops like {@link shutdown}, waiting for the requests in flight however long they take. */
  close(): Promise<void> {
    return this.shutdown(Infinity);
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#deps.credentials?.files.close();
    this.#deps.credentials?.refresher.stop();
    this.#discovery.close();
    const http = this.server.server;
    // fastify closes the listener (new connections are refused) and resolves once every request ended.
    const drained = this.server.close();
    // Node closes only the connections idle at close(): one whose answer ends later would linger.
    const reaper = setInterval(() => http.closeIdleConnections(), REAP_IDLE_MS);
    let force: NodeJS.Timeout | undefined;
    const deadline = Number.isFinite(deadlineMs)
      ? setTimeout(() => {
          const open = this.server.abortInFlight(gatewayError('unavailable', 'The gateway is shutting down'));
          this.log.warn({ requests: open, deadlineMs }, 'shutdown deadline passed: ending the requests still in flight');
          // A client that reads nothing would hold its answer, and the shutdown, forever.
          force = setTimeout(() => http.closeAllConnections(), FORCE_CLOSE_MS);
        }, deadlineMs)
      : undefined;
    try {
      await drained;
    } finally {
      clearInterval(reaper);
      clearTimeout(deadline);
      clearTimeout(force);
    }
    await this.#plugins.close();
    // Conversations first: with Redis both share one connection, which the state store closes.
    await this.#deps.conversations?.close();
    await this.#deps.shared.store.close();
    await this.#deps.dispatchers.close();
  }
}

/** A conductor's credential change as a live event. */
function credentialEvent({ member, change, state }: CredentialChange): LiveEvent {
  const cooling = change === 'cooling' && state !== undefined;
  return {
    type: 'credential',
    data: {
      id: member.id,
      provider: member.provider,
      model: member.model,
      status: cooling ? 'cooling' : 'active',
      change,
      ...(cooling ? { reason: state.message ? `${state.reason}: ${state.message}` : state.reason, nextRetryAt: new Date(state.until).toISOString() } : {}),
    },
  };
}

/** Emits a `plugin` event for each plugin whose state changed since `before`; returns the states now. */
function emitPluginChanges(events: EventHub, before: ReadonlyMap<string, string>, now: readonly PluginSnapshot[]): Map<string, string> {
  const states = new Map(now.map((p) => [p.id, p.state]));
  for (const [id, state] of states) {
    const was = before.get(id);
    if (was === undefined || was === state) continue;
    const change = state === 'fused' ? 'fused' : state === 'rejected' ? 'rejected' : state === 'active' ? 'restarted' : undefined;
    if (change) events.emit({ type: 'plugin', data: { id, state, change } });
  }
  return states;
}
