/**
 * The last N decision traces (`logging.requests`), newest first, in a fixed-size ring: memory
 * stays bounded whatever the traffic, and a page is one scan from a cursor, no copying.
 *
 * @module
 */
import { type RequestTrace, type TraceRecord, traceView } from './trace.js';

/** What `GET /v0/management/requests` may filter on. */
export interface TraceFilter {
  model?: string;
  provider?: string;
  credential?: string;
  client?: string;
  status?: number;
  /** Epoch ms: only requests that arrived at or after it. */
  since?: number;
}

export interface TracePage {
  items: RequestTrace[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export class TraceRing {
  readonly #slots: (TraceRecord | undefined)[];
  /** Sequence number of the next trace; slot = seq % size. */
  #next = 0;

  constructor(readonly size: number) {
    this.#slots = new Array(Math.max(0, size));
  }

  push(trace: TraceRecord): void {
    if (this.#slots.length === 0) return;
    this.#slots[this.#next % this.#slots.length] = trace;
    this.#next++;
  }

  /**
   * The trace of request `id`, newest first. A scan rather than an index: an index by id costs
   * every request a map insert and delete, a lookup (an operator's click) costs one scan.
   */
  get(id: string): RequestTrace | undefined {
    const oldest = Math.max(0, this.#next - this.#slots.length);
    for (let seq = this.#next - 1; seq >= oldest; seq--) {
      const record = this.#slots[seq % this.#slots.length]!;
      if (record.id === id) return traceView(record);
    }
    return undefined;
  }

  /** Newest first, from `cursor` (a sequence number from a previous page) down. */
  page(filter: TraceFilter, limit: number, cursor?: string): TracePage {
    const oldest = Math.max(0, this.#next - this.#slots.length);
    let seq = cursor === undefined ? this.#next - 1 : Math.min(Number(cursor), this.#next - 1);
    const items: RequestTrace[] = [];
    for (; seq >= oldest && items.length < limit; seq--) {
      const trace = this.#slots[seq % this.#slots.length]!;
      // Traces go in as requests end, not as they arrive: `since` filters, it does not stop the scan.
      if (matches(trace, filter)) items.push(traceView(trace));
    }
    return { items, nextCursor: seq >= oldest && items.length === limit ? String(seq) : null };
  }
}

function matches(t: TraceRecord, f: TraceFilter): boolean {
  if (f.model !== undefined && t.model !== f.model && t.upstreamModel !== f.model) return false;
  if (f.provider !== undefined && t.provider !== f.provider) return false;
  if (f.credential !== undefined && t.credential !== f.credential && !t.attempts.some((a) => a.credential === f.credential)) return false;
  if (f.client !== undefined && t.client !== f.client) return false;
  if (f.status !== undefined && t.status !== f.status) return false;
  if (f.since !== undefined && t.time < f.since) return false;
  return true;
}
