/**
 * The live events of `GET /v0/management/events`: a request ended, a credential changed state,
 * a plugin changed state. Producers emit to one hub per gateway; emitting with no one listening
 * costs a size check, so producers on the request path stay cheap.
 *
 * @module
 */

export type LiveEvent =
  | { type: 'request'; data: { id: string; time: string; client: string; model?: string; provider?: string; credential?: string; status: number; ms: number } }
  | {
      type: 'credential';
      data: { id: string; provider: string; model?: string; status: 'active' | 'cooling'; change: 'cooling' | 'reset' | 'recovered'; reason?: string; nextRetryAt?: string };
    }
  | { type: 'plugin'; data: { id: string; state: string; change: 'fused' | 'restarted' | 'rejected' | 'reset' } };

export class EventHub {
  readonly #listeners = new Set<(event: LiveEvent) => void>();

  /** Whether anyone listens: producers check it before building an event. */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  /** Starts delivering events to `listener`; the returned function stops it. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: LiveEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
