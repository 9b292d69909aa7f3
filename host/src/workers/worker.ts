/**
 * The worker side of `serve --workers`: one {@link WorkerLink} per worker process, over its IPC
 * channel to the primary. It gives the gateway what it shares with the other workers:
 *
 * - with the memory store, the shared state: the primary holds it, this worker keeps a local view
 *   ({@link WorkerLink.stateBackend}) and asks the primary for stored Responses conversations
 *   ({@link WorkerLink.conversationStore});
 * - `GET /metrics` for the whole set ({@link WorkerLink.scrape}), and this worker's series for
 *   the primary's collections ({@link WorkerLink.shareMetrics});
 * - reloads: a management reload here reaches every other worker ({@link WorkerLink.reloadOthers},
 *   {@link WorkerLink.onReload});
 * - the primary's order to stop ({@link WorkerLink.onShutdown}).
 *
 * @module
 */
import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import type { ConversationStore } from '../core/state/conversations.js';
import type { StateBackend } from '../core/state/replica/backend.js';
import { WorkersBackend } from '../core/state/workers/backend.js';
import { WorkersConversationStore } from '../core/state/workers/conversations.js';
import { PrimaryPeer } from '../core/state/workers/peer.js';
import type { StateReply } from '../core/state/workers/wire.js';
import { gatewayError } from '../errors/registry.js';
import { metricsReport, prepareForCluster } from '../metrics/cluster.js';
import { type PrimaryToWorker, type WorkerToPrimary, isPrimaryMessage } from './messages.js';

/** How long a scrape waits for the primary's aggregate (the primary's own collection waits less). */
const SCRAPE_TIMEOUT_MS = 10_000;

/** A worker's end of the IPC channel: `process` in a cluster worker, an in-process fake in tests. */
export interface WorkerPort {
  send(message: WorkerToPrimary): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

interface Scrape {
  resolve(text: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** What a worker shares with the primary and, through it, with the other workers. */
export class WorkerLink {
  readonly #port: WorkerPort;
  readonly #stateHandlers = new Set<(message: StateReply) => void>();
  readonly #scrapes = new Map<number, Scrape>();
  #peer: PrimaryPeer | undefined;
  #backend: WorkersBackend | undefined;
  #conversations: WorkersConversationStore | undefined;
  #registry: Registry | undefined;
  #reload: (() => Promise<void>) | undefined;
  #shutdown: (() => void) | undefined;
  /** Set when the primary asked to stop before anyone listened for it (the gateway still starting). */
  #shutdownAsked = false;
  #reloadAsked = false;
  #onError: (err: Error, what: string) => void;
  #nextScrape = 1;
  #gone = false;

  /** @param onError - reports a failure that has no caller to go to (a reload another worker asked for) */
  constructor(port: WorkerPort, onError: (err: Error, what: string) => void = () => {}) {
    this.#port = port;
    this.#onError = onError;
    port.on('message', (message) => {
      if (isPrimaryMessage(message)) this.#receive(message);
    });
    port.on('disconnect', () => this.#lost());
    // The primary sends nothing before this: a message arriving before the listener would be lost.
    this.#send({ sy: 'ready' });
  }

  /** The shared state of the memory store, held by the primary (one backend per worker). */
  stateBackend(): StateBackend {
    this.#backend ??= new WorkersBackend(this.#primaryPeer());
    return this.#backend;
  }

  /** The memory store's stored Responses conversations, held by the primary (one store per worker). */
  conversationStore(): ConversationStore {
    this.#conversations ??= new WorkersConversationStore(this.#primaryPeer(), (err) => this.#onError(err, 'stored response could not be saved'));
    return this.#conversations;
  }

  #primaryPeer(): PrimaryPeer {
    this.#peer ??= new PrimaryPeer({
      channel: {
        send: (body) => this.#send({ sy: 'state', body }),
        receive: (handler) => {
          this.#stateHandlers.add(handler);
          return () => this.#stateHandlers.delete(handler);
        },
      },
    });
    if (this.#gone) this.#peer.lost(new Error('the primary process is gone'));
    return this.#peer;
  }

  /** This worker's series, from now on part of every scrape of the set (its aggregators set for it). */
  shareMetrics(registry: Registry): void {
    prepareForCluster(registry);
    this.#registry = registry;
  }

  /** The whole set's metrics as Prometheus text; rejects with a 503 error when the primary does not answer. */
  scrape(): Promise<string> {
    if (this.#gone) return Promise.reject(gatewayError('unavailable', 'metrics unavailable: the primary process is gone'));
    const id = this.#nextScrape++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#scrapes.delete(id);
        reject(gatewayError('unavailable', `metrics unavailable: the primary process did not answer within ${SCRAPE_TIMEOUT_MS} ms`));
      }, SCRAPE_TIMEOUT_MS);
      this.#scrapes.set(id, { resolve, reject, timer });
      this.#send({ sy: 'metrics-request', id });
    });
  }

  /** This worker applied a management reload: every other worker re-reads its config and plugins too. */
  reloadOthers(): void {
    this.#send({ sy: 'reload-all' });
  }

  /** Runs `reload` when another worker applied a management reload (a failure goes to `onError`). */
  onReload(reload: () => Promise<void>): void {
    this.#reload = reload;
    // Asked while this worker was still starting, possibly with the config from before the change.
    if (this.#reloadAsked) this.#runReload();
  }

  /** Runs `stop` when the primary says to stop; at once if it already did. */
  onShutdown(stop: () => void): void {
    this.#shutdown = stop;
    if (this.#shutdownAsked) stop();
  }

  #receive(message: PrimaryToWorker): void {
    switch (message.sy) {
      case 'state':
        for (const handler of this.#stateHandlers) handler(message.body);
        return;
      case 'metrics-collect':
        return void this.#report(message.id);
      case 'metrics-answer': {
        const scrape = this.#scrapes.get(message.id);
        if (!scrape) return;
        this.#scrapes.delete(message.id);
        clearTimeout(scrape.timer);
        if (message.text !== undefined) scrape.resolve(message.text);
        else scrape.reject(gatewayError('unavailable', `metrics unavailable: ${message.error ?? 'no answer'}`));
        return;
      }
      case 'reload':
        this.#reloadAsked = true;
        if (this.#reload) this.#runReload();
        return;
      case 'shutdown':
        this.#shutdownAsked = true;
        this.#shutdown?.();
        return;
    }
  }

  #runReload(): void {
    this.#reloadAsked = false;
    this.#reload!().catch((err: unknown) => this.#onError(err instanceof Error ? err : new Error(String(err)), 'reload asked by another worker failed: the running config stays'));
  }

  async #report(id: number): Promise<void> {
    try {
      // A worker still starting has no series yet: it counts as none.
      const report = this.#registry ? await metricsReport(this.#registry) : [];
      this.#send({ sy: 'metrics-report', id, report });
    } catch (err) {
      this.#send({ sy: 'metrics-report', id, error: (err as Error).message });
    }
  }

  #send(message: WorkerToPrimary): void {
    if (this.#gone) return;
    try {
      this.#port.send(message);
    } catch {
      // The channel closed under us: 'disconnect' follows and handles it.
    }
  }

  #lost(): void {
    if (this.#gone) return;
    this.#gone = true;
    const error = new Error('the primary process is gone');
    this.#peer?.lost(error);
    for (const scrape of this.#scrapes.values()) {
      clearTimeout(scrape.timer);
      scrape.reject(gatewayError('unavailable', `metrics unavailable: ${error.message}`));
    }
    this.#scrapes.clear();
  }
}

let link: WorkerLink | undefined;

/**
 * This process's link to its primary when it is a worker of `serve --workers`, else undefined.
 * One per process (there is one IPC channel); `onError` counts on the first call only.
 */
export function workerLink(onError?: (err: Error, what: string) => void): WorkerLink | undefined {
  if (!cluster.isWorker || !process.send) return undefined;
  const send = process.send.bind(process);
  link ??= new WorkerLink(
    {
      // The callback keeps a send on a closing channel from becoming an 'error' event.
      send: (message) => void send(message, undefined, undefined, () => {}),
      on: ((event: 'message', listener: (message: unknown) => void) => process.on(event, listener)) as WorkerPort['on'],
    },
    onError,
  );
  return link;
}

/** The memory store's shared state when this process is a worker of `serve --workers`, else undefined. */
export function workerStateBackend(): StateBackend | undefined {
  return workerLink()?.stateBackend();
}

/** The memory store's stored conversations when this process is a worker of `serve --workers`, else undefined. */
export function workerConversationStore(): ConversationStore | undefined {
  return workerLink()?.conversationStore();
}
