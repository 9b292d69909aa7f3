/**
 * Drives an executor's event stream onto the call's port.
 *
 * @module
 */

/**
 * Sends every event of `events` with `send`, in order, until the stream ends. A cancel stops it
 * at once, even while the plugin is awaiting something that ignores `signal`: the host gets its
 * answer now and the generator is closed (its `finally` runs) once its pending step settles.
 * Rejects with the plugin's error, `send`'s error, or `signal.reason` when cancelled.
 */
export async function pump(events: AsyncIterable<unknown>, signal: AbortSignal, send: (event: unknown) => void): Promise<void> {
  signal.throwIfAborted();
  if (typeof events?.[Symbol.asyncIterator] !== 'function') {
    // The likely mistake is a sync `*stream()`; say so rather than "is not a function".
    throw new TypeError('executor.stream must return an async iterable (declare it `async *stream()`)');
  }
  const iterator = events[Symbol.asyncIterator]();
  let aborted!: () => void;
  const cancelled = new Promise<never>((_, reject) => {
    aborted = () => reject(signal.reason);
  });
  // Every step races this promise, but a cancel may land between steps: keep that from being an unhandled rejection.
  cancelled.catch(() => {});
  signal.addEventListener('abort', aborted, { once: true });
  let done = false;
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), cancelled]);
      if (step.done) {
        done = true;
        return;
      }
      send(step.value);
    }
  } finally {
    signal.removeEventListener('abort', aborted);
    // Close a stream left early (cancel, unsendable event); on a generator that threw this is a no-op.
    if (!done) Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
