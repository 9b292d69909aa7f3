/**
 * The running gateway: loads the config, builds the runtime, serves HTTP, and swaps in a new
 * runtime when the config file changes (in-flight requests finish on the one they started with).
 * Shutting down stops accepting, lets requests in flight finish up to a deadline, then stops
 * the plugins and flushes the credential state.
 *
 * @module
 */
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { type LoadOptions, type LoadedConfig, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { type ConfigWatcher, watchConfig } from './config/watch.js';
import { ModelDiscovery } from './core/discovery.js';
import type { ConductorShared } from './core/conductor/conductor.js';
import { FileConversationStore } from './core/state/conversations.js';
import { MemoryStateStore } from './core/state/memory-store.js';
import { gatewayError } from './errors/registry.js';
import { createServer } from './http/server.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics/registry.js';
import { Dispatchers } from './upstream/dispatchers.js';
import { executeNested } from './pipeline/plugins/nested.js';
import { type Runtime, type RuntimeDeps, buildRuntime } from './pipeline/runtime.js';
import { serve } from './pipeline/serve.js';
import { PluginHost } from './plugins/plugin-host.js';
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
    // Cooldowns and counters survive restarts in authDir; a changed authDir needs a restart.
    const store = await MemoryStateStore.open({
      dir: loaded.config.authDir,
      // Counters change on every request: one write a second is plenty, and a crash loses at most that.
      flushDelayMs: 1000,
      onError: (err) => log.warn({ reason: err.message }, 'credential state could not be restored or saved'),
    });
    const shared: ConductorShared = { store, inFlight: new Map() };
    let gateway: Gateway | undefined;
    const metrics = new Metrics(() => gateway && gateway.#runtime);
    const plugins = new PluginHost({
      workerFilename: WORKER_ENTRY,
      logger: log,
      observer: metrics,
      // A change in the set of active plugins (executors above all) rebuilds the catalog.
      onChange: () => gateway && gateway.#rebuild(),
      onHostRequest: async (pluginId, method, params) => {
        if (method !== 'host.executeModel') throw new Error(`unknown host method ${method}`);
        // A call outside any request (a scheduler's): nested, with no parent to follow.
        return executeNested(gateway!.#runtime, serve, { callerId: pluginId }, params);
      },
    });
    // A disabled plugins section loads nothing, so the host's lists simply stay empty.
    await plugins.load(loaded.config.plugins);
    // Stored Responses conversations live beside the credential state; a changed authDir needs a restart too.
    const conversations = await FileConversationStore.open({
      dir: join(loaded.config.authDir, 'responses'),
      onError: (err) => log.warn({ reason: err.message }, 'stored response could not be read or saved'),
    });
    const deps: RuntimeDeps = { dispatchers, shared, plugins, observer: metrics, accessLog: (line, msg) => log.info(line, msg), conversations };
    const runtime = buildRuntime(loaded.config, deps);
    const discovery = new ModelDiscovery(log);
    await discovery.refresh(runtime.catalog);
    const server = createServer({
      runtime: () => gateway!.#runtime,
      reload: () => gateway!.reload(),
      plugins,
      metrics,
      limits: loaded.config.limits,
      logger: log,
    });
    gateway = new Gateway(server, log, runtime, deps, options, plugins, discovery, loaded.file);
    plugins.watch();
    discovery.schedule(() => (gateway!.#closed ? undefined : gateway!.#runtime.catalog));
    await server.listen({ host: loaded.config.host, port: loaded.config.port });
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
    await this.#deps.shared.store.close();
    await this.#deps.conversations?.close();
    await this.#deps.dispatchers.close();
  }
}
