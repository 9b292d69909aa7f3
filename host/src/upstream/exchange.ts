/**
 * One upstream HTTP exchange on undici's dispatch handler API: the response's status and
 * headers, then its body as a {@link Flow} of the buffers undici parsed, or, for an answer read
 * whole, its body as text once it ended. The request API would wrap the body in a Readable (a
 * stream object, its buffering and its events per chunk) only for the host to take the bytes
 * back out; here they go straight to whoever reads them.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { Channel, collect, type Flow } from '../streams/flow.js';

/** An upstream's answer: its status and headers, and its body still to come. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The body's bytes, one batch per socket read. Pausing it stops reading the socket once 64 KB
   * are held (TCP back-pressure reaches the upstream); cancelling it aborts the exchange, which releases the
   * connection. A body cut short fails the flow with undici's error.
   */
  body: Flow<Buffer>;
}

/** An upstream's answer read whole: its status, headers and body text. */
export interface UpstreamText {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Sends one request on `agent`. Resolves once the response's headers are in; rejects with the
 * transport's error, or with the signal's reason when aborted. Aborting later fails the body.
 */
export function exchange(agent: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    agent.dispatch(options, new ExchangeHandler(signal, resolve, reject));
  });
}

/**
 * Sends one request on `agent` and reads its body whole: one promise for the exchange, where a
 * body read from {@link exchange}'s flow takes a channel and a promise more. Resolves once the
 * body ended; rejects with the transport's error (one that cut the body short too), or with the
 * signal's reason when aborted. An answer that is not a 2xx and whose body was cut short
 * resolves with what came of it: its status says what went wrong.
 */
export function exchangeText(agent: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal): Promise<UpstreamText> {
  return new Promise((resolve, reject) => {
    agent.dispatch(options, new TextHandler(signal, resolve, reject));
  });
}

/**
 * Bytes held for a paused reader before the socket itself is paused, as a Readable's high-water
 * mark would: a reader pauses whenever its client's socket is full, most answers are smaller
 * than this, and pausing and resuming the upstream socket each time costs system calls.
 */
const HIGH_WATER = 64 * 1024;

/** Thrown into the exchange when its reader cancels the body. */
const CANCELLED = new Error('the upstream body was cancelled by its reader');

/** What both handlers share: the call aborted with its signal, before it started or on the way. */
abstract class AbortableHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  readonly #abort = () => this.#controller?.abort(this.signal.reason as Error);

  constructor(protected readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.#abort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason as Error);
  }

  /** What a failed exchange rejects with: the signal's reason when it was aborted. */
  protected cause(err: Error): unknown {
    return this.signal.aborted ? this.signal.reason : err;
  }

  /** The exchange is over: the signal no longer reaches it. */
  protected done(): void {
    this.signal.removeEventListener('abort', this.#abort);
  }
}

class ExchangeHandler extends AbortableHandler {
  #body: Channel<Buffer> | undefined;
  /**
   * Chunks not yet handed over: those of the socket read under way, handed over together once
   * it is parsed, and those that arrive while the reader is paused, handed over together when
   * it resumes (one batch, so one write to the client, not one per read it missed).
   */
  #pending: Buffer[] | undefined;
  #pendingBytes = 0;
  /** The reader paused, or has not started yet: a body nobody reads is held like a paused one. */
  #paused = true;
  /** The socket paused, once a paused reader left {@link HIGH_WATER} bytes pending. */
  #socketPaused = false;

  constructor(
    signal: AbortSignal,
    private readonly resolve: (response: UpstreamResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super(signal);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    const resume = () => {
      this.#paused = false;
      this.#flush();
      if (!this.#socketPaused) return;
      this.#socketPaused = false;
      controller.resume();
    };
    this.#body = new Channel<Buffer>({
      start: resume,
      pause: () => {
        this.#paused = true;
      },
      resume,
      cancel: () => controller.abort(CANCELLED),
    });
    this.resolve({ status, headers, body: this.#body });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // undici parses every HTTP chunk of a socket read in one go: the first schedules the hand-over.
    // Made on a read's first chunk, not after each hand-over: an array made ahead waits out a held
    // stream's gap to its next event, is promoted, and once dead still keeps the next read's young
    // chunks alive through the scavenger's remembered set (bench/NOTES.md, twelfth session).
    if ((this.#pending ??= []).push(chunk) === 1 && !this.#paused) queueMicrotask(this.#flush);
    this.#pendingBytes += chunk.length;
    if (this.#paused && !this.#socketPaused && this.#pendingBytes >= HIGH_WATER) {
      this.#socketPaused = true;
      controller.pause();
    }
  }

  onResponseEnd(): void {
    this.done();
    this.#handOver();
    this.#body?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.done();
    const cause = this.cause(err);
    if (!this.#body) return this.reject(cause);
    this.#handOver();
    this.#body.fail(cause);
  }

  readonly #flush = (): void => {
    if (!this.#paused) this.#handOver();
  };

  /** Pushes what is pending (a paused body holds it until its reader resumes). */
  #handOver(): void {
    const chunks = this.#pending;
    if (chunks === undefined) return;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    this.#body!.push(chunks);
  }
}

class TextHandler extends AbortableHandler {
  #status = 0;
  #headers: UpstreamText['headers'] = {};
  readonly #chunks: Buffer[] = [];

  constructor(
    signal: AbortSignal,
    private readonly resolve: (response: UpstreamText) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super(signal);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: UpstreamText['headers']): void {
    this.#status = status;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.done();
    this.resolve({ status: this.#status, headers: this.#headers, text: utf8(this.#chunks) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.done();
    const status = this.#status;
    if (status !== 0 && (status < 200 || status >= 300) && !this.signal.aborted) this.resolve({ status, headers: this.#headers, text: utf8(this.#chunks) });
    else this.reject(this.cause(err));
  }
}

function utf8(chunks: readonly Buffer[]): string {
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

/** Reads a whole body as UTF-8 text; rejects with what the body failed with. */
export async function bodyText(body: Flow<Buffer>): Promise<string> {
  return utf8(await collect(body));
}
