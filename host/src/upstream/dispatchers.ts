/**
 * The connection pools upstream calls go through: one undici Agent for direct calls, and one
 * ProxyAgent per distinct outbound proxy (`http://`, `https://` through CONNECT, `socks5://`),
 * each made on first use and kept for the gateway's life, so calls without a proxy cost exactly
 * what they cost before proxies existed, and proxied ones keep their tunnels alive.
 *
 * @module
 */
import { Agent, type Dispatcher, ProxyAgent } from 'undici';

/** Upstream timeouts, in ms. */
export interface ClientLimits {
  connectTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
}

function agentOptions(limits: ClientLimits) {
  return {
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connect: { timeout: limits.connectTimeout },
    headersTimeout: limits.headersTimeout,
    bodyTimeout: limits.bodyTimeout,
  };
}

export class Dispatchers {
  readonly #direct: Agent;
  readonly #proxied = new Map<string, ProxyAgent>();

  constructor(private readonly limits: ClientLimits) {
    this.#direct = new Agent(agentOptions(limits));
  }

  /** The pool for calls through `proxyUrl`; the direct one when there is none. */
  get(proxyUrl?: string): Dispatcher {
    if (proxyUrl === undefined) return this.#direct;
    let agent = this.#proxied.get(proxyUrl);
    if (!agent) {
      agent = new ProxyAgent({ uri: proxyUrl, ...agentOptions(this.limits) });
      this.#proxied.set(proxyUrl, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([this.#direct.close(), ...[...this.#proxied.values()].map((a) => a.close())]);
  }
}

/** The secrets a proxy URL holds (its password, and the whole URL with it), for scrubbing text. */
export function proxySecrets(proxyUrl: string | undefined): string[] {
  if (proxyUrl === undefined) return [];
  const url = new URL(proxyUrl);
  if (!url.password) return [];
  return [proxyUrl, url.password, decodeURIComponent(url.password)];
}
