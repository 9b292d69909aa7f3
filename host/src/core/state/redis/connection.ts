/**
 * The one place that talks to the `redis` package (node-redis): a {@link RedisConnection} that
 * sends raw commands and Lua scripts, subscribes, and knows whether the server is up. Everything
 * above it sees plain arrays and strings (RESP2 replies), so another client could be swapped in.
 * The `state.url` forms are in `url.ts`. Redis 6+ and Valkey work (the subscriber speaks RESP3).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ErrorReply, createClient, createCluster, createSentinel } from 'redis';
import { type StateUrlTarget as Target, StateUrlError, maskUrl, parseStateUrl } from './url.js';

export interface RedisConnection {
  /** Sends one command; `key` (the first key the command touches) routes it in a cluster; undefined = any node. Rejects fast while disconnected (no offline queue) and after `timeoutMs`. */
  send(key: string | undefined, args: string[]): Promise<unknown>;
  /** Runs a Lua script with EVALSHA, loading it (EVAL) on NOSCRIPT. keys[0] routes it in a cluster. */
  eval(script: { source: string; sha1: string }, keys: string[], args: string[]): Promise<unknown>;
  /**
   * Subscribes on a dedicated connection (or the cluster's/sentinel's own pub/sub client) that
   * re-subscribes by itself after reconnects. Never rejects: while Redis is down the subscription
   * is made when it comes back.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Whether the command connection is up now. */
  readonly up: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Bound of one command, and of the wait at start for a server that accepts but never answers; default 1000. */
  timeoutMs?: number;
  /** Connected: at start and after each outage. */
  onUp?(): void;
  /** An outage began (once per outage, also at start when the server is unreachable). */
  onDown?(error: Error): void;
}

/** A Lua script with its SHA1, for {@link RedisConnection.eval}. */
export function scriptOf(source: string): { source: string; sha1: string } {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** Reconnect delays: 50 ms doubling to 2 s, so a restart is noticed fast and an outage costs little. */
const backoff = (attempt: number) => Math.min(50 * 2 ** attempt, 2000);
/** Server replies saying the credentials or the database in `state.url` are wrong: retrying cannot help. */
const REFUSED = /^(WRONGPASS|NOAUTH)\b|invalid (password|username)|called without any password configured|DB index is out of range/i;
/** Server replies that mean it cannot serve right now (as opposed to a bad command). */
const UNAVAILABLE = /^(NOAUTH|WRONGPASS|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|BUSY)\b/;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the connection needs from node-redis's client, cluster and sentinel alike. */
interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
}
interface NodeClient extends Emitter {
  sendCommand(args: string[]): Promise<unknown>;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  duplicate(overrides: object): NodeClient;
  destroy(): void;
}
interface Driver {
  command(key: string | undefined, args: string[]): Promise<unknown>;
  /** PINGs every server commands may go to. */
  ping(): Promise<void>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  close(): void;
}
interface DriverEvents {
  ready(): void;
  error(err: Error): void;
}

/** Builds the driver for `target`; it starts connecting at once and keeps reconnecting until closed. */
function openDriver(target: Target, timeoutMs: number, events: DriverEvents): Driver {
  const socket = { connectTimeout: Math.max(timeoutMs, 1000), reconnectStrategy: backoff };
  const common = { ...target.auth, RESP: 2, disableOfflineQueue: true, commandOptions: { timeout: timeoutMs } };
  const watch = <T extends Emitter>(e: T) => {
    // An unhandled 'error' event would crash the process.
    e.on('error', (err: unknown) => events.error(err instanceof Error ? err : new Error(String(err))));
    e.on('ready', () => events.ready());
    return e;
  };
  const offline = () => new Error('state store: not connected');
  if (target.kind === 'client') {
    const client = watch(createClient({ ...common, socket: { ...socket, ...target.socket }, database: target.database } as object) as unknown as NodeClient);
    // connect() retries by itself (reconnectStrategy) until it succeeds or the client is closed.
    client.connect().catch(() => {});
    let sub: NodeClient | undefined;
    return {
      command: (_key, args) => client.sendCommand(args),
      ping: () => client.sendCommand(['PING']).then(() => undefined),
      subscribe(channel, listener) {
        if (!sub) {
          // Its own connection, whose SUBSCRIBE may wait for it to come up. RESP3: node-redis 6.4
          // mixes up RESP2 pub/sub messages with replies after a SUBSCRIBE queued while offline.
          sub = client.duplicate({ RESP: 3, disableOfflineQueue: false, commandOptions: { timeout: undefined } });
          sub.on('error', () => {});
          sub.connect().catch(() => {});
        }
        return sub.subscribe(channel, listener);
      },
      close: () => {
        client.destroy();
        sub?.destroy();
      },
    };
  }
  // Cluster and Sentinel give up when the first connect fails: retried here with a fresh one.
  type Group = NodeClient & { masters?: unknown[]; nodeClient?(node: unknown): Promise<NodeClient> };
  const make = (): Group => {
    if (target.kind === 'cluster') {
      const defaults = { ...common, socket: { ...socket, tls: target.tls } };
      const rootNodes = target.nodes.map((n) => ({ ...defaults, socket: { ...defaults.socket, ...n } }));
      const cluster = createCluster({ rootNodes, defaults, RESP: 2, commandOptions: { timeout: timeoutMs } } as never) as unknown as Group;
      // A node going down or coming back changes whether every slot is served.
      cluster.on('node-error', (err: Error) => events.error(err));
      cluster.on('node-ready', () => events.ready());
      return watch(cluster);
    }
    const nodeSocket = { ...socket, tls: target.tls };
    const sentinel = createSentinel({
      name: target.name,
      sentinelRootNodes: target.nodes,
      nodeClientOptions: { ...common, commandOptions: undefined, socket: nodeSocket },
      sentinelClientOptions: { ...target.sentinelAuth, RESP: 2, socket: nodeSocket },
      RESP: 2,
      commandOptions: { timeout: timeoutMs },
    } as never) as unknown as Group;
    sentinel.on('client-error', (event: { error: Error }) => events.error(event.error));
    sentinel.on('reconnecting', () => events.error(new Error('state store: Sentinel reports a topology change')));
    return watch(sentinel);
  };
  /** Connected: commands go there. */
  let group: Group | undefined;
  /** Connected or still connecting (close() must stop its retries too). */
  let current: Group | undefined;
  let closed = false;
  void (async () => {
    for (let attempt = 0; !closed; attempt++) {
      const candidate = (current = make());
      try {
        await candidate.connect();
        if (closed) return;
        group = candidate;
        return events.ready();
      } catch (err) {
        candidate.destroy();
        if (closed) return;
        events.error(err instanceof Error ? err : new Error(String(err)));
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)).unref());
      }
    }
  })();
  const connected = () => {
    if (!group) throw offline();
    return group;
  };
  // Cluster: sendCommand(firstKey, isReadonly, args); Sentinel: sendCommand(isReadonly, args).
  const send = (key: string | undefined, args: string[]): Promise<unknown> => {
    const g = connected() as unknown as { sendCommand(...a: unknown[]): Promise<unknown> };
    return target.kind === 'cluster' ? g.sendCommand(key, false, args) : g.sendCommand(false, args);
  };
  return {
    command: async (key, args) => send(key, args),
    async ping() {
      const g = connected();
      // Every master of a cluster: one that is down leaves its slots unserved.
      if (g.masters && g.nodeClient) await Promise.all(g.masters.map(async (m) => (await g.nodeClient!(m)).sendCommand(['PING'])));
      else await send(undefined, ['PING']);
    },
    subscribe: async (channel, listener) => connected().subscribe(channel, listener),
    close() {
      closed = true;
      current?.destroy();
    },
  };
}

/**
 * Connects to `state.url`. Rejects with {@link StateUrlError} for a malformed URL or refused
 * credentials; an unreachable server resolves a connection that is not `up` and keeps trying.
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<RedisConnection> {
  const connection = new Connection(parseStateUrl(url), maskUrl(url), options);
  await connection.started;
  return connection;
}

/** A server reply error that says the server cannot serve now; anything else that is not a reply (socket, timeout) too. */
function isOutage(err: unknown): boolean {
  return !(err instanceof ErrorReply) || UNAVAILABLE.test(err.message);
}

class Connection implements RedisConnection {
  /** Settles once the first connect succeeded, failed for good, or failed in a way worth retrying. */
  readonly started: Promise<void>;
  readonly #driver: Driver;
  readonly #timeoutMs: number;
  readonly #options: ConnectOptions;
  readonly #url: string;
  #up = false;
  #starting = true;
  /** onDown was called for the outage under way. */
  #reported = false;
  #closed = false;
  #probing = false;
  /** Ends the probe's current wait (a server came up). */
  #kick: (() => void) | undefined;
  /** A server came up while the probe was not waiting: its next PING goes at once. */
  #kicked = false;
  readonly #subscriptions: { channel: string; listener: (message: string) => void; active: boolean }[] = [];
  #settle!: (err?: Error) => void;

  constructor(target: Target, maskedUrl: string, options: ConnectOptions) {
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#options = options;
    this.#url = maskedUrl;
    this.started = new Promise<void>((resolve, reject) => {
      this.#settle = (err) => {
        if (!this.#starting) return;
        this.#starting = false;
        clearTimeout(deadline);
        if (err) reject(err);
        else resolve();
      };
    });
    // A server that accepts connections but never answers must not hold up the start.
    const waitMs = 2 * Math.max(this.#timeoutMs, 1000);
    const deadline = setTimeout(() => this.#markDown(new Error(`state store: no answer from ${maskedUrl} within ${waitMs} ms`)), waitMs);
    this.#driver = openDriver(target, this.#timeoutMs, {
      ready: () => {
        this.#kicked = true;
        this.#kick?.();
      },
      error: (err) => this.#failed(err),
    });
    this.#probe();
  }

  get up(): boolean {
    return this.#up;
  }

  async send(key: string | undefined, args: string[]): Promise<unknown> {
    if (!this.#up) throw new Error(`state store: not connected (${args[0]} not sent)`);
    try {
      return await this.#bounded(this.#driver.command(key, args), args[0]!);
    } catch (err) {
      if (isOutage(err)) this.#markDown(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  async eval(script: { source: string; sha1: string }, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(keys[0], ['EVALSHA', script.sha1, ...tail]);
    } catch (err) {
      // The server does not know it yet (first use, restart, SCRIPT FLUSH): EVAL also caches it.
      if (!/^NOSCRIPT/.test(messageOf(err))) throw err;
    }
    return this.send(keys[0], ['EVAL', script.source, ...tail]);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    const entry = { channel, listener: (message: string) => listener(message), active: false };
    this.#subscriptions.push(entry);
    await this.#activate(entry);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    this.#kick?.();
    this.#settle(new Error('state store: closed while connecting'));
    this.#driver.close();
  }

  async #activate(entry: { channel: string; listener: (message: string) => void; active: boolean }): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#bounded(this.#driver.subscribe(entry.channel, entry.listener), 'SUBSCRIBE');
      entry.active = true;
    } catch {
      // Tried again each time the connection comes up.
    }
  }

  #bounded<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`state store: ${what} got no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  /** A failure reported by node-redis: refused credentials stop a start; anything else is an outage. */
  #failed(err: Error): void {
    if (this.#starting && REFUSED.test(err.message)) return this.#refused(err);
    this.#markDown(err);
  }

  #refused(err: Error): void {
    const what = /DB index/i.test(err.message) ? 'database' : 'password';
    this.#settle(new StateUrlError(`state.url: the server refused the ${what} (${err.message}) for ${this.#url}`));
    void this.close();
  }

  #markDown(err: Error): void {
    if (this.#closed) return;
    this.#up = false;
    if (!this.#reported) {
      this.#reported = true;
      this.#options.onDown?.(err);
    }
    this.#settle();
    this.#probe();
  }

  #markUp(): void {
    if (this.#closed || this.#up) return;
    this.#up = true;
    this.#reported = false;
    this.#settle();
    this.#options.onUp?.();
    for (const entry of this.#subscriptions) if (!entry.active) void this.#activate(entry);
  }

  /**
   * While not up, PINGs with backoff until the server answers; node-redis reconnects on its
   * own and its 'ready' cuts the wait short. Only a PING reply counts as up, so a server that
   * accepts connections but is frozen (or refuses the password) stays down.
   */
  #probe(): void {
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    void (async () => {
      for (let attempt = 0; !this.#closed && !this.#up; attempt++) {
        try {
          await this.#bounded(this.#driver.ping(), 'PING');
          this.#markUp();
        } catch (err) {
          if (this.#starting && err instanceof ErrorReply && REFUSED.test(err.message)) this.#refused(err);
          else if (err instanceof ErrorReply) this.#markDown(err);
          if (this.#closed) break;
          if (this.#kicked) {
            this.#kicked = false;
            continue;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, backoff(attempt));
            timer.unref();
            this.#kick = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#kick = undefined;
          this.#kicked = false;
        }
      }
      this.#probing = false;
    })();
  }
}
