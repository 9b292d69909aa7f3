/**
 * The connection pools upstream calls go through: one undici `Agent` for direct calls, and one
 * dispatcher per distinct outbound proxy, made on first use and kept for the gateway's life.
 * Calls without a proxy cost exactly what they cost before proxies existed; proxied ones keep
 * their tunnels alive like direct connections.
 *
 * - `http://` and `https://` proxies: undici's `ProxyAgent`, tunnelling with HTTP CONNECT (for
 *   http upstreams too), `Proxy-Authorization: Basic` from the URL's `user:password`.
 * - `socks5://` proxies: an `Agent` whose connections open through a SOCKS5 tunnel
 *   (`socks5.ts`).
 *
 * Direct and SOCKS5 connections are pooled per origin by `FreeListPool`, which finds a free
 * connection without walking the busy ones (thousands, with streams held open).
 *
 * Every dispatcher has the same keep-alive and timeouts: `connectTimeout` bounds opening a
 * connection, tunnel included (TCP and TLS to the proxy, its CONNECT answer or SOCKS5 handshake,
 * TLS to the upstream); `headersTimeout` and `bodyTimeout` apply to the upstream's answer.
 *
 * @module
 */
import { Agent, type Dispatcher, Pool, ProxyAgent } from 'undici';
import { freeListPools } from './free-list-pool.js';
import { displayProxyUrl } from './proxy-url.js';
import { socks5Connector, socks5Proxy } from './socks5.js';

/** Upstream timeouts, in ms. */
export interface ClientLimits {
  connectTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
}

/** The pool options of every upstream dispatcher, direct or proxied. */
function poolOptions(limits: ClientLimits) {
  return {
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: limits.headersTimeout,
    bodyTimeout: limits.bodyTimeout,
  };
}

export class Dispatchers {
  readonly #direct: Agent;
  readonly #proxied = new Map<string, Dispatcher>();
  #closing: Promise<void> | undefined;

  constructor(private readonly limits: ClientLimits) {
    this.#direct = new Agent({ ...poolOptions(limits), factory: freeListPools, connect: { timeout: limits.connectTimeout } });
  }

  /** The pool for calls through `proxyUrl`; the direct one when there is none. */
  get(proxyUrl?: string): Dispatcher {
    if (proxyUrl === undefined) return this.#direct;
    let dispatcher = this.#proxied.get(proxyUrl);
    if (!dispatcher) {
      dispatcher = proxyDispatcher(proxyUrl, this.limits);
      this.#proxied.set(proxyUrl, dispatcher);
    }
    return dispatcher;
  }

  /** Closes every pool (calls in flight finish first). Once: later calls wait for the first. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([this.#direct, ...this.#proxied.values()].map((d) => d.close())).then(() => undefined);
    return this.#closing;
  }
}

/** A new dispatcher through the proxy at `proxyUrl` (`http://`, `https://` or `socks5://`). */
export function proxyDispatcher(proxyUrl: string, limits: ClientLimits): Dispatcher {
  const url = new URL(proxyUrl);
  const pool = poolOptions(limits);
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      return new ProxyAgent({
        uri: proxyUrl,
        proxyTunnel: true,
        ...pool,
        // ProxyAgent connects with its own connectors: the timeout goes to each of them.
        proxyTls: { timeout: limits.connectTimeout },
        requestTls: { timeout: limits.connectTimeout },
        // The proxy's answer to CONNECT is part of connecting, not the upstream's headers.
        clientFactory: (origin, opts) => new Pool(origin, { ...opts, headersTimeout: limits.connectTimeout }),
      });
    case 'socks5:':
      return new Agent({ ...pool, factory: freeListPools, connect: socks5Connector(socks5Proxy(url), limits.connectTimeout) });
    default:
      // The config schema only lets the three through.
      throw new Error(`unsupported proxy ${displayProxyUrl(proxyUrl)}: expected http://, https:// or socks5://`);
  }
}
