/**
 * A worker's request/reply link to the primary's shared state, used by both the state backend
 * and the conversation store of `serve --workers`: each request carries an id its reply repeats,
 * and waits a bounded time, so a primary that stops answering fails the request (the caller then
 * serves from what it has) instead of hanging it.
 *
 * @module
 */
import type { StateEvent } from '../replica/backend.js';
import type { StateChannel, StateReply, StateRequest } from './wire.js';

/** How long a request waits for the primary before it fails. */
const DEFAULT_TIMEOUT_MS = 3000;

/** A request as its sender writes it: without the id, which the peer assigns. */
export type RequestBody = StateRequest extends infer R ? (R extends StateRequest ? Omit<R, 'id'> : never) : never;

/** The answer to one request. */
export type Reply = Extract<StateReply, { op: 'reply' }>;

interface Waiting {
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface PrimaryPeerOptions {
  channel: StateChannel<StateRequest, StateReply>;
  /** Bound on each request's wait for its reply. */
  timeoutMs?: number;
}

/** One per worker process: the link both workers-side stores send through. */
export class PrimaryPeer {
  readonly #channel: StateChannel<StateRequest, StateReply>;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, Waiting>();
  readonly #stop: () => void;
  readonly #onEvents = new Set<(events: StateEvent[]) => void>();
  readonly #onLost = new Set<(error: Error) => void>();
  #nextId = 1;
  #lost: Error | undefined;

  constructor(options: PrimaryPeerOptions) {
    this.#channel = options.channel;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#stop = this.#channel.receive((message) => this.#receive(message));
  }

  /** Sends a request; resolves with its reply, rejects on the primary's error, a timeout or a lost link. */
  request(body: RequestBody): Promise<Reply> {
    if (this.#lost) return Promise.reject(this.#lost);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`the primary did not answer a ${body.op} request within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      // A pending request must not keep a worker that is otherwise done alive.
      timer.unref();
      this.#waiting.set(id, {
        resolve: (reply) => (reply.error === undefined ? resolve(reply) : reject(new Error(`the primary refused a ${body.op} request: ${reply.error}`))),
        reject,
        timer,
      });
      try {
        this.#channel.send({ ...body, id } as StateRequest);
      } catch (err) {
        clearTimeout(timer);
        this.#waiting.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Receives other workers' state changes. */
  onEvents(handler: (events: StateEvent[]) => void): void {
    this.#onEvents.add(handler);
  }

  /** Told once when the link is lost. */
  onLost(handler: (error: Error) => void): void {
    this.#onLost.add(handler);
  }

  /** The link to the primary is gone (it exited): every request waiting fails, and every later one. */
  lost(error: Error): void {
    if (this.#lost) return;
    this.#lost = error;
    this.#stop();
    for (const waiting of this.#waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.#waiting.clear();
    for (const handler of this.#onLost) handler(error);
  }

  #receive(message: StateReply): void {
    if (message.op === 'events') {
      for (const handler of this.#onEvents) handler(message.events);
      return;
    }
    const waiting = this.#waiting.get(message.id);
    // A reply after its timeout: the request was already given up on.
    if (!waiting) return;
    this.#waiting.delete(message.id);
    clearTimeout(waiting.timer);
    waiting.resolve(message);
  }
}
