/**
 * The running gateway: loads the config, builds the runtime, serves HTTP, and swaps in a new
 * runtime when the config file changes (in-flight requests finish on the one they started with).
 *
 * @module
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Agent } from 'undici';
import { type LoadOptions, type LoadedConfig, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { type ConfigWatcher, watchConfig } from './config/watch.js';
import { discoverModels } from './core/discovery.js';
import { type Runtime, buildRuntime } from './core/runtime.js';
import { createServer } from './http/server.js';
import { createLogger } from './log.js';
import { createUpstreamAgent } from './upstream/client.js';

export interface GatewayOptions extends LoadOptions {
  /** Watch the config file for changes (default true). */
  watch?: boolean;
  logger?: FastifyBaseLogger;
}

export class Gateway {
  #runtime: Runtime;
  #agent: Agent;
  #watcher: ConfigWatcher | undefined;
  #closed = false;

  private constructor(
    readonly server: FastifyInstance,
    readonly log: FastifyBaseLogger,
    runtime: Runtime,
    agent: Agent,
    readonly configFile: string | undefined,
  ) {
    this.#runtime = runtime;
    this.#agent = agent;
  }

  /** Loads the config and starts serving. Throws `ConfigError` for an invalid config. */
  static async start(options: GatewayOptions = {}): Promise<Gateway> {
    const log = options.logger ?? createLogger();
    const loaded = loadConfig(options);
    const agent = createUpstreamAgent(loaded.config.limits);
    const runtime = buildRuntime(loaded.config, agent);
    await discoverModels(runtime, log);
    let gateway: Gateway | undefined;
    const server = createServer({ runtime: () => gateway!.#runtime, bodyLimit: loaded.config.limits.bodyBytes, logger: log });
    gateway = new Gateway(server, log, runtime, agent, loaded.file);
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
   * request sees a half-built one. Listen address and body limit changes need a restart.
   */
  async apply(loaded: LoadedConfig): Promise<void> {
    if (this.#closed) return;
    const previous = this.#runtime.config;
    const next = buildRuntime(loaded.config, this.#agent);
    await discoverModels(next, this.log);
    if (this.#closed) return;
    this.#runtime = next;
    const restartNeeded = previous.host !== loaded.config.host || previous.port !== loaded.config.port || previous.limits.bodyBytes !== loaded.config.limits.bodyBytes;
    this.log.info({ providers: loaded.config.providers.map((p) => p.name), restartNeeded }, 'config applied');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    await this.server.close();
    await this.#agent.close();
  }
}
