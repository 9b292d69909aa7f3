/**
 * `state.url`, read and checked before anything connects. Forms:
 * - `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS)
 * - `unix:///path/to/redis.sock[?db=N]`, `unix://[user:pass@]/path…` (node-redis's own form)
 * - `redis+sentinel://[user:pass@]h1:p1,h2:p2/<masterName>` (`rediss+sentinel` for TLS): the
 *   credentials are the master's; `?sentinelUsername=&sentinelPassword=` authenticate to Sentinel
 * - `redis+cluster://[user:pass@]h1:p1,h2:p2` (`rediss+cluster` for TLS)
 *
 * Credentials are percent-encoded, as in any URL. Valkey takes the same URLs.
 *
 * @module
 */

/** Thrown for a `state.url` that can never work (malformed, wrong password/ACL): the message names `state.url` and never contains the password. */
export class StateUrlError extends Error {
  override name = 'StateUrlError';
}

/** The URL with its passwords replaced by `***`. */
export function maskUrl(url: string): string {
  const scheme = url.indexOf('://');
  let masked = url;
  if (scheme >= 0) {
    const at = url.lastIndexOf('@');
    const colon = url.indexOf(':', scheme + 3);
    if (at > scheme && colon >= 0 && colon < at) masked = `${url.slice(0, colon + 1)}***${url.slice(at)}`;
  }
  return masked.replace(/(sentinelPassword=)[^&#]*/gi, '$1***');
}

export interface Address {
  host: string;
  port: number;
}
export interface Auth {
  username?: string;
  password?: string;
}
/** Where and how to connect, read from `state.url`. */
export type StateUrlTarget =
  | { kind: 'client'; socket: { host: string; port: number; tls: boolean } | { path: string }; auth: Auth; database?: number }
  | { kind: 'sentinel'; nodes: Address[]; name: string; tls: boolean; auth: Auth; sentinelAuth: Auth }
  | { kind: 'cluster'; nodes: Address[]; tls: boolean; auth: Auth };

/** Reads `state.url`; throws {@link StateUrlError} for anything malformed. */
export function parseStateUrl(url: string): StateUrlTarget {
  const bad = (why: string) => new StateUrlError(`state.url: ${why} (${maskUrl(url)})`);
  const decode = (s: string | undefined) => {
    try {
      return s ? decodeURIComponent(s) : undefined;
    } catch {
      throw bad('bad percent-encoding');
    }
  };
  const m = /^([a-z+]+):\/\/(.*)$/i.exec(url.trim());
  if (!m) throw bad('expected redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://');
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  const auth: Auth = {};
  // The credentials end at the last '@': a password may hold an unencoded '/'.
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const info = rest.slice(0, at);
    const colon = info.indexOf(':');
    auth.username = decode(colon < 0 ? info : info.slice(0, colon));
    auth.password = decode(colon < 0 ? undefined : info.slice(colon + 1));
    rest = rest.slice(at + 1);
  }
  const q = rest.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf('/');
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  const database = (text: string | null) => {
    if (text === null || text === '') return undefined;
    if (!/^\d{1,5}$/.test(text)) throw bad(`"${text}" is not a database number`);
    return Number(text);
  };
  const nodes = (defaultPort: number) =>
    hosts.split(',').map((h) => {
      const hp = /^(?:\[([0-9a-f:.]+)\]|([^:[\]/,]+))(?::(\d{1,5}))?$/i.exec(h);
      const port = Number(hp?.[3] ?? defaultPort);
      if (!hp || port < 1 || port > 65535) throw bad(`"${h}" is not host:port`);
      return { host: hp[1] ?? hp[2]!, port };
    });
  const tls = scheme.startsWith('rediss');
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      const [node] = nodes(6379);
      if (hosts.includes(',')) throw bad('one host expected; use redis+cluster:// or redis+sentinel:// for several');
      return { kind: 'client', socket: { ...node!, tls }, auth, database: database(path) };
    }
    case 'unix':
      if (!rest.startsWith('/') || rest.length < 2) throw bad('expected unix:///absolute/path/to/redis.sock');
      return { kind: 'client', socket: { path: decode(rest)! }, auth, database: database(query.get('db')) };
    case 'redis+sentinel':
    case 'rediss+sentinel': {
      const name = decode(path.replace(/\/$/, ''));
      if (!name) throw bad('the Sentinel master name is missing: redis+sentinel://host:port,…/<masterName>');
      const sentinelAuth = { username: query.get('sentinelUsername') ?? undefined, password: query.get('sentinelPassword') ?? undefined };
      return { kind: 'sentinel', nodes: nodes(26379), name, tls, auth, sentinelAuth };
    }
    case 'redis+cluster':
    case 'rediss+cluster':
      if (path !== '') throw bad('a cluster has no database number');
      return { kind: 'cluster', nodes: nodes(6379), tls, auth };
    default:
      throw bad(`unknown scheme "${scheme}:"`);
  }
}
