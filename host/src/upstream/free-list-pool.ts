/**
 * The connections to one upstream origin, with the free ones kept on a list. undici's own `Pool`
 * finds a free connection by scanning every connection it holds, twice per request; with
 * thousands of streams held open (coding agents waiting on their models) every new request then
 * walks thousands of busy connections, and opening the ten-thousandth stream costs a
 * hundred-million-step ramp in all. Here a connection joins the free list when undici says it can
 * take a request (its `dispatch` answered true, or it emitted `drain`) and leaves it when it is
 * handed one, so finding one costs the same with ten streams open or ten thousand.
 *
 * Like undici's `Pool` without a `connections` cap: a request never waits for a busy connection
 * (a new one is made instead), connections are kept for reuse under the keep-alive options they
 * were made with, and a connection that failed to connect is dropped rather than reused.
 *
 * @module
 */
import { Client, Dispatcher, buildConnector, errors } from 'undici';

/** The options each connection is made with: undici `Client` options, as an `Agent` passes them to its per-origin factory. */
export type FreeListPoolOptions = Client.Options;

/** The connections to one origin; a free one is found in constant time (see the module comment). */
export class FreeListPool extends Dispatcher {
  readonly #origin: string | URL;
  readonly #options: FreeListPoolOptions;
  readonly #clients = new Set<Client>();
  /** Connections that can take a request now, oldest first. */
  readonly #free = new Set<Client>();
  #closed = false;

  constructor(origin: string | URL, options: FreeListPoolOptions = {}) {
    super();
    this.#origin = origin;
    // One connector for every connection, as undici's Pool builds it: its TLS session cache then
    // lets a new connection resume a session an earlier one negotiated.
    const { connect, connectTimeout, maxCachedSessions, socketPath } = options;
    const tls = (options as { tls?: object }).tls;
    this.#options = {
      ...options,
      connect: typeof connect === 'function' ? connect : buildConnector({ ...tls, maxCachedSessions, socketPath, timeout: connectTimeout, ...connect }),
    };
  }

  /** Connections held (busy or free). */
  get size(): number {
    return this.#clients.size;
  }

  /** Connections that can take a request now. */
  get free(): number {
    return this.#free.size;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#closed) throw new errors.ClientClosedError();
    const client = this.#take() ?? this.#add();
    if (client.dispatch(options, handler)) this.#free.add(client);
    // No cap on connections: this pool can always take another request.
    return true;
  }

  /** The oldest free connection still usable, off the list. */
  #take(): Client | undefined {
    for (const client of this.#free) {
      this.#free.delete(client);
      if (!client.closed && !client.destroyed) return client;
    }
    return undefined;
  }

  #add(): Client {
    const client = new Client(this.#origin, this.#options);
    // Targets go up the chain as undici's own pools send them: the emitting dispatcher first.
    client
      .on('drain', () => {
        if (this.#clients.has(client)) this.#free.add(client);
      })
      .on('connect', (origin, targets) => this.emit('connect', origin, [this, ...targets]))
      .on('disconnect', (origin, targets, err) => this.emit('disconnect', origin, [this, ...targets], err))
      .on('connectionError', (origin, targets, err) => {
        // A connection that could not connect is not reused (undici's Pool drops it too).
        this.#drop(client);
        this.emit('connectionError', origin, [this, ...targets], err);
      });
    this.#clients.add(client);
    return client;
  }

  #drop(client: Client): void {
    this.#clients.delete(client);
    this.#free.delete(client);
    // Requests already queued on it fail through their handlers; closing waits for them.
    client.close().catch(() => undefined);
  }

  /** Waits for the requests in flight, then closes every connection. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const closing = Promise.all([...this.#clients].map((c) => c.close())).then(() => undefined);
    if (!callback) return closing;
    closing.then(callback, callback);
  }

  /** Ends every connection now; requests in flight fail with `err`. */
  override destroy(err?: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const done = typeof errOrCallback === 'function' ? errOrCallback : callback;
    this.#closed = true;
    const destroying = Promise.all([...this.#clients].map((c) => c.destroy(err))).then(() => undefined);
    if (!done) return destroying;
    destroying.then(done, done);
  }

  /** Whether {@link close} or {@link destroy} was called. */
  get closed(): boolean {
    return this.#closed;
  }
}

/** An `Agent` factory making a {@link FreeListPool} per origin. */
export const freeListPools = (origin: string | URL, options: object): Dispatcher => new FreeListPool(origin, options as FreeListPoolOptions);
