/**
 * The primary process of `serve --workers N`: it serves nothing itself. It forks the workers
 * (node:cluster hands them connections on the one listening socket), replaces a worker that
 * dies (giving up when they keep dying), stops them all gracefully on SIGTERM or SIGINT, relays
 * a management reload from one worker to the others, answers `GET /metrics` for the whole set,
 * and, with the memory store, holds the shared state (`core/state/workers/primary.ts`).
 *
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { FileConversationStore } from '../core/state/file-conversations.js';
import { MemoryStateStore } from '../core/state/memory-store.js';
import { StatePrimary } from '../core/state/workers/primary.js';
import { responsesConversation } from '../formats/openai-responses/conversation.js';
import { ClusterMetrics, type MetricsReport } from '../metrics/cluster.js';
import { type PrimaryToWorker, type WorkerToPrimary, isWorkerMessage } from './messages.js';

/** How long a metrics collection waits for the workers; a late one counts with its previous report. */
const COLLECT_TIMEOUT_MS = 2_000;
/** After the drain deadline, how long workers get to flush and exit before they are killed. */
const FORCE_GRACE_MS = 5_000;

export interface PrimaryOptions {
  /** Worker processes to run (at least 1). */
  workers: number;
  log: FastifyBaseLogger;
  /** How long a worker may drain its requests on shutdown (the config's `shutdownTimeout`), read at each stop. */
  shutdownTimeout(): number;
  /**
   * With the memory store: its folder (`authDir`); the primary holds and persists the shared
   * state and the stored Responses conversations. Absent with Redis.
   */
  stateDir?: string;
  /** Give up (exit 1) after this many unexpected worker exits within `windowMs`. Default 5 in 30 s. */
  crashLoop?: { exits: number; windowMs: number };
}

interface Collection {
  reports: Map<number, MetricsReport>;
  pending: Set<number>;
  done(): void;
}

/** What the primary holds for the workers with the memory store. */
interface StatePrimaryStores {
  store: MemoryStateStore;
  conversations: FileConversationStore;
}

/** Runs the primary until every worker has exited; resolves with the exit status for the process. */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const state = options.stateDir === undefined ? undefined : await openShared(options.stateDir, options.log);
  return new Promise((resolve) => new Primary(options, state, resolve).start());
}

/** The stores a single process would open on `authDir`, opened here once for every worker. */
async function openShared(dir: string, log: FastifyBaseLogger): Promise<StatePrimaryStores> {
  const [store, conversations] = await Promise.all([
    MemoryStateStore.open({
      dir,
      // As in a single process: counters change on every request, one write a second is plenty.
      flushDelayMs: 1000,
      onError: (err) => log.warn({ reason: err.message }, 'credential state could not be restored or saved'),
    }),
    FileConversationStore.open({ dir: join(dir, 'responses'), inputOf: responsesConversation.inputOf, onError: (err) => log.warn({ reason: err.message }, 'stored response could not be read or saved') }),
  ]);
  return { store, conversations };
}

class Primary {
  readonly #options: PrimaryOptions;
  readonly #log: FastifyBaseLogger;
  readonly #state: StatePrimary | undefined;
  readonly #metrics = new ClusterMetrics();
  readonly #live = new Map<number, Worker>();
  /** Workers that listen for our messages (see `ready`). */
  readonly #joined = new Set<number>();
  readonly #listening = new Set<number>();
  readonly #collections = new Map<number, Collection>();
  /** Times of unexpected exits within the crash-loop window. */
  #exits: number[] = [];
  #everListened = false;
  #stopping: { exitCode: number } | undefined;
  #backstop: NodeJS.Timeout | undefined;
  #nextCollection = 1;
  readonly #resolve: (code: number) => void;

  constructor(options: PrimaryOptions, stores: StatePrimaryStores | undefined, resolve: (code: number) => void) {
    this.#options = options;
    this.#log = options.log;
    this.#resolve = resolve;
    this.#state = stores && new StatePrimary({ ...stores, send: (id, body) => this.#send(id, { sy: 'state', body }) });
  }

  start(): void {
    cluster.on('message', (worker, message: unknown) => {
      if (isWorkerMessage(message)) this.#receive(worker, message);
    });
    cluster.on('listening', (worker, address) => this.#listened(worker, address));
    cluster.on('exit', (worker, code, signal) => this.#exited(worker, code, signal));
    const onSignal = (signal: NodeJS.Signals) => (this.#stopping ? this.#abandon(signal) : this.stop(0, signal));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    this.#log.info({ workers: this.#options.workers, pid: process.pid, state: this.#state ? 'memory, held by the primary' : 'redis' }, 'starting workers');
    for (let i = 0; i < this.#options.workers; i++) this.#fork();
  }

  /** Asks every worker to drain and exit; resolves the run with `exitCode` once they all have. */
  stop(exitCode: number, signal?: NodeJS.Signals): void {
    if (this.#stopping) return;
    this.#stopping = { exitCode };
    const deadlineMs = this.#options.shutdownTimeout();
    this.#log.info({ signal, deadlineMs, workers: this.#live.size }, 'shutting down: every worker stops accepting, requests in flight may finish');
    for (const [id, worker] of this.#live) {
      // A worker not listening for messages yet still has its signal handlers (or none: it just ends).
      if (this.#joined.has(id)) this.#send(id, { sy: 'shutdown' });
      else worker.process.kill('SIGTERM');
    }
    this.#backstop = setTimeout(() => {
      this.#log.error({ workers: [...this.#live.keys()] }, 'workers still running after the shutdown deadline: killing them');
      this.#stopping!.exitCode = 1;
      for (const worker of this.#live.values()) worker.process.kill('SIGKILL');
    }, deadlineMs + FORCE_GRACE_MS);
    if (this.#live.size === 0) void this.#finish();
  }

  /** A second signal: the operator will not wait for the drain. */
  #abandon(signal: NodeJS.Signals): void {
    this.#log.warn({ signal }, 'second signal: stopping every worker at once');
    for (const worker of this.#live.values()) worker.process.kill('SIGKILL');
    clearTimeout(this.#backstop);
    this.#resolve(1);
  }

  async #finish(): Promise<void> {
    clearTimeout(this.#backstop);
    // Every worker has written its last changes: now the state file gets them.
    await this.#state?.close().catch((err: unknown) => this.#log.error({ reason: (err as Error).message }, 'credential state could not be saved'));
    this.#log.info({ exitCode: this.#stopping!.exitCode }, 'switchyard stopped');
    this.#resolve(this.#stopping!.exitCode);
  }

  #fork(): void {
    const worker = cluster.fork();
    this.#live.set(worker.id, worker);
    this.#metrics.setWorkers(this.#live.size);
    this.#log.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
  }

  #listened(worker: Worker, address: { address: string; port: number }): void {
    // A worker listening on several addresses reports each; once is enough.
    if (this.#listening.has(worker.id)) return;
    this.#listening.add(worker.id);
    this.#log.info({ worker: worker.id, pid: worker.process.pid, address: address.address, port: address.port }, 'worker listening');
    if (!this.#everListened && this.#listening.size === this.#options.workers) {
      this.#log.info({ workers: this.#listening.size, port: address.port }, 'every worker listening');
    }
    this.#everListened ||= this.#listening.size === this.#options.workers;
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    const id = worker.id;
    this.#live.delete(id);
    this.#joined.delete(id);
    this.#listening.delete(id);
    this.#state?.detach(id);
    void this.#metrics.retire(id);
    this.#metrics.setWorkers(this.#live.size);
    for (const collection of this.#collections.values()) if (collection.pending.delete(id) && collection.pending.size === 0) collection.done();
    const stopping = this.#stopping;
    if (stopping) {
      // Our own SIGTERM ends a worker that was not listening for messages yet: that is a clean stop.
      if (code !== 0 && signal !== 'SIGTERM') stopping.exitCode ||= 1;
      this.#log.info({ worker: id, pid: worker.process.pid, code, signal }, 'worker exited');
      if (this.#live.size === 0) void this.#finish();
      return;
    }
    this.#log.error({ worker: id, pid: worker.process.pid, code, signal }, 'worker exited unexpectedly');
    if (!this.#everListened) {
      // The set never came up (a port in use, a config that fails at start): retrying will not help.
      this.#log.error({}, 'a worker failed to start: stopping');
      return this.stop(code === 2 ? 2 : 1);
    }
    const { exits, windowMs } = this.#options.crashLoop ?? { exits: 5, windowMs: 30_000 };
    const now = Date.now();
    this.#exits = [...this.#exits.filter((t) => t > now - windowMs), now];
    if (this.#exits.length >= exits) {
      this.#log.error({ exits: this.#exits.length, windowMs }, 'workers keep dying: giving up');
      return this.stop(1);
    }
    this.#metrics.restarted();
    this.#fork();
  }

  #receive(worker: Worker, message: WorkerToPrimary): void {
    switch (message.sy) {
      case 'ready':
        this.#joined.add(worker.id);
        if (this.#stopping) this.#send(worker.id, { sy: 'shutdown' });
        return;
      case 'state':
        if (this.#state) return this.#state.receive(worker.id, message.body);
        return this.#send(worker.id, { sy: 'state', body: { op: 'reply', id: message.body.id, error: 'the primary holds no shared state: state.store is not memory' } });
      case 'metrics-request':
        return void this.#collect().then(
          (text) => this.#send(worker.id, { sy: 'metrics-answer', id: message.id, text }),
          (err: unknown) => this.#send(worker.id, { sy: 'metrics-answer', id: message.id, error: (err as Error).message }),
        );
      case 'metrics-report': {
        const collection = this.#collections.get(message.id);
        if (!collection) return;
        if (message.report) collection.reports.set(worker.id, message.report);
        if (collection.pending.delete(worker.id) && collection.pending.size === 0) collection.done();
        return;
      }
      case 'reload-all': {
        const others = [...this.#joined].filter((id) => id !== worker.id);
        for (const id of others) this.#send(id, { sy: 'reload' });
        this.#log.info({ worker: worker.id, others: others.length }, 'management reload: every other worker reloads too');
        return;
      }
    }
  }

  /** Asks every worker for its series and renders the set's metrics. */
  async #collect(): Promise<string> {
    const id = this.#nextCollection++;
    const collection: Collection = { reports: new Map(), pending: new Set(this.#joined), done: () => {} };
    if (collection.pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => collection.done(), COLLECT_TIMEOUT_MS);
        collection.done = () => {
          clearTimeout(timer);
          this.#collections.delete(id);
          resolve();
        };
        this.#collections.set(id, collection);
        for (const workerId of collection.pending) this.#send(workerId, { sy: 'metrics-collect', id });
      });
    }
    return this.#metrics.render(collection.reports, this.#live.keys());
  }

  #send(id: number, message: PrimaryToWorker): void {
    const worker = this.#live.get(id);
    if (!worker?.isConnected()) return;
    try {
      // The callback keeps a send on a closing channel from becoming an 'error' event.
      worker.send(message, undefined, () => {});
    } catch {
      // The worker is going away; its 'exit' follows.
    }
  }
}
