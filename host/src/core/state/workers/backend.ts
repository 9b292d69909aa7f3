/**
 * The {@link StateBackend} of a worker process of `serve --workers` with the memory store: the
 * shared state is the primary's (see `primary.ts`), reached through the worker's
 * {@link PrimaryPeer}. A primary that stops answering makes the replica degrade to its local view
 * instead of hanging its writes.
 *
 * IPC between a worker and its primary is ordered and loses nothing while it is up, and the
 * primary never loses its state while a worker lives: there is no reconnection to handle. The
 * link only goes away with the primary, and then the worker exits too.
 *
 * @module
 */
import type { AppliedCooldown, SharedSnapshot, StateBackend, StateChange } from '../replica/backend.js';
import type { UsageRow } from '../usage.js';
import type { PrimaryPeer } from './peer.js';
import { snapshotFromWire } from './wire.js';

/** What the replica's `listen` registers. */
type Handlers = Parameters<StateBackend['listen']>[0];

export class WorkersBackend implements StateBackend {
  readonly name = 'workers';
  readonly #peer: PrimaryPeer;
  #handlers: Handlers | undefined;
  #closed = false;

  constructor(peer: PrimaryPeer) {
    this.#peer = peer;
    peer.onEvents((events) => {
      if (this.#closed) return;
      for (const event of events) this.#handlers?.event(event);
    });
    peer.onLost((error) => this.#handlers?.down(error));
  }

  async apply(changes: readonly StateChange[]): Promise<AppliedCooldown[]> {
    this.#open();
    const reply = await this.#peer.request({ op: 'apply', changes: [...changes] });
    return reply.applied ?? [];
  }

  async snapshot(full: boolean): Promise<SharedSnapshot> {
    this.#open();
    const reply = await this.#peer.request({ op: 'snapshot', full });
    if (!reply.snapshot) throw new Error('the primary answered a snapshot request without a snapshot');
    return snapshotFromWire(reply.snapshot);
  }

  async usage(from: number, to: number): Promise<UsageRow[]> {
    this.#open();
    const reply = await this.#peer.request({ op: 'usage', from, to });
    return reply.usage ?? [];
  }

  async heartbeat(inFlight: ReadonlyMap<string, number>): Promise<void> {
    this.#open();
    await this.#peer.request({ op: 'heartbeat', inFlight: [...inFlight] });
  }

  /** Events flow at once: the link to the primary listens from the start. */
  async listen(handlers: Handlers): Promise<void> {
    this.#handlers = handlers;
  }

  /** Stops taking events; the link itself stays (the conversation store may still use it). */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new Error('state backend closed');
  }
}
