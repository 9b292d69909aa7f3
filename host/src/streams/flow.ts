/**
 * Push-based streams for the stream path: an upstream read is parsed, translated, intercepted
 * and written to the client inside the read's own callback, as one batch, with no promise per
 * event and none per stage. Back-pressure runs the other way, as `pause` and `resume` calls.
 * Ten thousand held streams then cost a socket and a few small objects each, not a chain of
 * pending generator promises.
 *
 * @module
 */

/** Where a flow delivers: batches (the items of one upstream read), then an end or a failure. */
export interface FlowSink<T> {
  batch(items: readonly T[]): void;
  end(): void;
  fail(err: unknown): void;
}

/**
 * A push-based stream of batches. Nothing flows before `start`, which is called once. `pause`
 * and `resume` are the consumer's back-pressure; `cancel` is the consumer leaving early (the
 * client went away): the source is released and the sink hears nothing more.
 */
export interface Flow<T> {
  start(sink: FlowSink<T>): void;
  pause(): void;
  resume(): void;
  cancel(): void;
}

/** What a {@link Channel} tells its producer. */
export interface ChannelHooks {
  /** The sink started: a lazy producer begins here. */
  start?(): void;
  pause?(): void;
  resume?(): void;
  cancel?(): void;
}

/**
 * A flow its producer feeds: `push` batches, then `end` or `fail`. What arrives before the sink
 * starts, or while it is paused, is held and handed over in order; otherwise a batch goes
 * straight through, in the producer's own call.
 */
export class Channel<T> implements Flow<T> {
  #sink: FlowSink<T> | undefined;
  #held: (readonly T[])[] = [];
  #heldItems = 0;
  #paused = false;
  /** Ended or failed by the producer (delivered once nothing is held). */
  #ending = false;
  #error: unknown;
  #failed = false;
  /** The end reached the sink, or the consumer cancelled: nothing more is delivered. */
  #closed = false;

  /** `limit`: items held at most; a push beyond it throws (a producer that cannot pause is cut off). */
  constructor(
    private readonly hooks: ChannelHooks = {},
    private readonly limit = Infinity,
  ) {}

  /** Whether the consumer cancelled or the end was delivered: pushes go nowhere. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the consumer asked for a pause. */
  get paused(): boolean {
    return this.#paused;
  }

  push(items: readonly T[]): void {
    if (this.#closed || this.#ending || items.length === 0) return;
    if (this.#sink !== undefined && !this.#paused && this.#held.length === 0) {
      this.#sink.batch(items);
      return;
    }
    if (this.#heldItems + items.length > this.limit) throw new Error(`the reader fell ${this.limit} events behind`);
    this.#held.push(items);
    this.#heldItems += items.length;
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.#drain();
  }

  fail(err: unknown): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.#failed = true;
    this.#error = err;
    this.#drain();
  }

  start(sink: FlowSink<T>): void {
    if (this.#sink !== undefined) throw new Error('a flow is started once');
    this.#sink = sink;
    this.#drain();
    if (!this.#closed) this.hooks.start?.();
  }

  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    this.hooks.pause?.();
  }

  resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    this.#drain();
    if (!this.#paused && !this.#closed) this.hooks.resume?.();
  }

  cancel(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#heldItems = 0;
    this.hooks.cancel?.();
  }

  /** Hands over what is held, then the ending, for as long as the sink is started and not paused. */
  #drain(): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    while (!this.#paused && !this.#closed && this.#held.length > 0) {
      const items = this.#held.shift()!;
      this.#heldItems -= items.length;
      sink.batch(items);
    }
    if (this.#paused || this.#closed || !this.#ending || this.#held.length > 0) return;
    this.#closed = true;
    if (this.#failed) sink.fail(this.#error);
    else sink.end();
  }
}

/**
 * Starts `flow` and waits for its first batch, for a caller that may still answer otherwise
 * (fail over) until then: resolves with a flow that hands that batch over and goes on, or
 * rejects with what the flow failed with before it, or with `empty()` if it ended with nothing.
 */
export function firstBatch<T>(flow: Flow<T>, empty: () => unknown): Promise<Flow<T>> {
  return new Promise((resolve, reject) => {
    let rest: Channel<T> | undefined;
    flow.start({
      batch(items) {
        if (rest !== undefined) return rest.push(items);
        // Held here until the consumer starts: the source waits with it.
        flow.pause();
        rest = new Channel<T>({
          start: () => {
            if (!rest!.paused) flow.resume();
          },
          pause: () => flow.pause(),
          resume: () => flow.resume(),
          cancel: () => flow.cancel(),
        });
        rest.push(items);
        resolve(rest);
      },
      end: () => (rest !== undefined ? rest.end() : reject(empty())),
      fail: (err) => (rest !== undefined ? rest.fail(err) : reject(err)),
    });
  });
}

/** `flow`, each item shown to `see` on its way through. */
export function tap<T>(flow: Flow<T>, see: (item: T) => void): Flow<T> {
  return {
    start: (sink) =>
      flow.start({
        batch(items) {
          for (const item of items) see(item);
          sink.batch(items);
        },
        end: () => sink.end(),
        fail: (err) => sink.fail(err),
      }),
    pause: () => flow.pause(),
    resume: () => flow.resume(),
    cancel: () => flow.cancel(),
  };
}

/** Every item of `flow`, once it ended; rejects with its failure. */
export function collect<T>(flow: Flow<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const all: T[] = [];
    flow.start({
      batch(items) {
        for (const item of items) all.push(item);
      },
      end: () => resolve(all),
      fail: reject,
    });
  });
}

/**
 * `flow` with its batches replaced by what `transform` resolves for them (`first` is the
 * position of the first item in the flow). One transform runs at a time: batches that arrive
 * meanwhile wait and go together in the next one, so a stream pays a transform per burst, not
 * per batch, and no more than it keeps up with. Past `limit` waiting items the source pauses.
 */
export function mapAsync<T>(flow: Flow<T>, transform: (items: readonly T[], first: number) => Promise<readonly T[]>, limit: number): Flow<T> {
  // Made by the batch that needs it, like every per-read container of the stream path: one made
  // ahead would wait out the gap to the next read, be promoted, and once dead still keep the next
  // read's young items alive through the scavenger's remembered set.
  let waiting: T[] | undefined;
  let position = 0;
  let running = false;
  let full = false;
  let ending: { err: unknown; failed: boolean } | undefined;
  const next = () => {
    if (running) return;
    if (waiting === undefined) {
      if (ending) ending.failed ? out.fail(ending.err) : out.end();
      return;
    }
    const items = waiting;
    const first = position;
    waiting = undefined;
    position += items.length;
    running = true;
    if (full) {
      full = false;
      if (!out.paused) flow.resume();
    }
    const settle = (result: readonly T[]) => {
      running = false;
      out.push(result);
      next();
    };
    // A transform is not to fail; one that does leaves its items as they were.
    transform(items, first).then(settle, () => settle(items));
  };
  const out: Channel<T> = new Channel<T>({
    start: () =>
      flow.start({
        batch(items) {
          if (items.length === 0) return;
          waiting ??= [];
          for (const item of items) waiting.push(item);
          if (waiting.length >= limit && !full) {
            full = true;
            flow.pause();
          }
          next();
        },
        end() {
          ending = { err: undefined, failed: false };
          next();
        },
        fail(err) {
          ending = { err, failed: true };
          next();
        },
      }),
    pause: () => flow.pause(),
    // The source stays paused while too much is waiting, whatever the consumer wants.
    resume: () => {
      if (!full) flow.resume();
    },
    cancel: () => flow.cancel(),
  });
  return out;
}
