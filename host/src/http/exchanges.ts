/**
 * Client API requests in flight. Each one gets, when its response closes (sent in full, or the
 * client left), exactly one access line and one count in `switchyard_requests_total`, and one
 * that reached the pipeline its decision trace and its usage (requests, tokens, errors); the
 * pipeline it runs runs under an abort signal that the client leaving fires, and that a
 * shutdown fires for every request still in flight once its deadline passes.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyRequest } from 'fastify';
import { MINUTE_MS } from '../core/state/usage.js';
import { parseModelSuffix } from '../formats/thinking-suffix.js';
import type { Metrics } from '../metrics/registry.js';
import type { AccessLine } from '../pipeline/observer.js';
import type { EventHub } from '../pipeline/events.js';
import type { TraceRing } from '../pipeline/trace/ring.js';
import type { DecisionTrace } from '../pipeline/trace/trace.js';
import { type Link, LiveSet } from './live-set.js';
import { RequestSignal } from './request-signal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** `performance.now()` when the request arrived. */
    startedAt: number;
    /** The route's path (`/v1/chat/completions`), as metrics, usage and traces name the endpoint. */
    endpoint: string;
    /** The signal the request's pipeline runs under, and what aborts it; set by the handlers that run one. */
    abort: RequestSignal | null;
    /** The model the client asked for, when the request names one. */
    requestedModel: string | null;
    streamed: boolean;
    /** The `x-switchyard-*` headers of the answer, once one was served. */
    served: Readonly<Record<string, string>> | null;
    /** The JSON text the body was parsed from. */
    bodyText: string | null;
    /** The answer's text (not a stream's), kept only while `logging.bodies` may record it. */
    answerText: string | null;
    /** The decision trace of a client API request that reached the pipeline. */
    trace: DecisionTrace | null;
  }
}

/** Status recorded for a request whose client left before any answer was sent (nginx's convention). */
const CLIENT_LEFT = 499;
/** Logger levels at which access lines are written; at any other the line is not even built. */
const ACCESS_LEVELS = new Set(['trace', 'debug', 'info']);

/** Keeps the text of a JSON answer (served or an error) for the trace, when `logging.bodies` may want it. */
export function keepAnswer(request: FastifyRequest, text: string): void {
  // A request the router refused (a malformed URL) never got its decorations.
  const mode = request.runtime?.bodies.mode;
  if (mode !== undefined && mode !== 'none') request.answerText = text;
}

/** Where a tracked response keeps its request's place among those open, for the one close listener every response shares. */
const OPEN = Symbol('open');
type TrackedResponse = ServerResponse & { [OPEN]: Link<FastifyRequest> };

/** Tracks the client API requests of one server. */
export class Exchanges {
  /** Not a `Set`: see `live-set.ts` for what a `Set` of requests costs the garbage collector. */
  readonly #open = new LiveSet<FastifyRequest>();
  /** One listener for every response (no closure and no once-wrapper per request); `this` is the response. */
  readonly #onClose: (this: TrackedResponse) => void;

  constructor(
    private readonly metrics: Metrics,
    private readonly traces: TraceRing,
    private readonly events: EventHub,
  ) {
    const open = this.#open;
    const closed = (request: FastifyRequest, res: ServerResponse) => this.#closed(request, res);
    this.#onClose = function () {
      const link = this[OPEN];
      const request = link.member!;
      open.remove(link);
      closed(request, this);
    };
  }

  /** Tracks a client API request of the route `endpoint` from its arrival; call once, before anything can answer it. */
  open(request: FastifyRequest, res: ServerResponse, endpoint: string): void {
    request.endpoint = endpoint;
    (res as TrackedResponse)[OPEN] = this.#open.add(request);
    // 'close' fires once whichever way the response ends, unlike 'finish'.
    res.on('close', this.#onClose);
  }

  /** Notes what the request asks for (access line fields) and returns the signal its pipeline runs under. */
  start(request: FastifyRequest, model: string | undefined, stream: boolean): AbortSignal {
    request.requestedModel = model ?? null;
    request.streamed = stream;
    request.abort = new RequestSignal();
    return request.abort;
  }

  /** Aborts the pipeline of every request in flight with `reason`; returns how many were open. */
  abortAll(reason: Error): number {
    for (const request of this.#open) request.abort?.abort(reason);
    return this.#open.size;
  }

  #closed(request: FastifyRequest, res: ServerResponse): void {
    const complete = res.writableFinished;
    if (!complete) request.abort?.abort(new Error('client closed the connection'));
    const served = request.served;
    const endpoint = request.endpoint;
    const status = res.headersSent ? res.statusCode : CLIENT_LEFT;
    const provider = served?.['x-switchyard-provider'];
    const upstreamModel = served?.['x-switchyard-model'];
    this.metrics.request(endpoint, provider ?? '', upstreamModel ?? '', status);
    const durationMs = Math.round((performance.now() - request.startedAt) * 10) / 10;
    if (request.trace) {
      this.#countUsage(request, status);
      this.#keepTrace(request, endpoint, status, durationMs);
    }
    if (this.events.active && request.trace) {
      this.events.emit({
        type: 'request',
        data: {
          id: request.id,
          time: new Date().toISOString(),
          client: request.client ?? '',
          model: request.requestedModel ?? undefined,
          provider,
          credential: served?.['x-switchyard-credential'],
          status,
          ms: durationMs,
        },
      });
    }
    if (!ACCESS_LEVELS.has(request.log.level)) return;
    const line: AccessLine = {
      requestId: request.id,
      client: request.client ?? undefined,
      endpoint,
      method: request.method,
      model: request.requestedModel ?? undefined,
      provider,
      upstreamModel,
      credential: served?.['x-switchyard-credential'],
      attempts: served ? Number(served['x-switchyard-attempts']) : undefined,
      router: served?.['x-switchyard-router'],
      status,
      durationMs,
      stream: request.streamed,
      aborted: complete ? undefined : true,
    };
    request.log.info(line, 'request');
  }

  /** Adds the request to its minute of usage, under the model that served it (else the one asked for). */
  #countUsage(request: FastifyRequest, status: number): void {
    const served = request.served;
    const usage = request.trace!.usage;
    const now = Date.now();
    request.runtime!.conductor.shared.store.addUsage({
      minute: now - (now % MINUTE_MS),
      client: request.client ?? '',
      model: served?.['x-switchyard-model'] ?? (request.requestedModel === null ? '' : parseModelSuffix(request.requestedModel).model),
      provider: served?.['x-switchyard-provider'] ?? '',
      credential: served?.['x-switchyard-credential'] ?? '',
      requests: 1,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cachedTokens: usage?.cachedInputTokens ?? 0,
      errors: status >= 400 ? 1 : 0,
    });
  }

  #keepTrace(request: FastifyRequest, endpoint: string, status: number, ms: number): void {
    const served = request.served;
    const overhead = served?.['x-switchyard-overhead-ms'];
    const dropped = served?.['x-switchyard-dropped'];
    const { bodies } = request.runtime!;
    this.traces.push(
      request.trace!.finish({
        id: request.id,
        client: request.client ?? '',
        endpoint,
        format: request.trace!.format,
        model: request.requestedModel ?? undefined,
        stream: request.streamed,
        status,
        ms,
        provider: served?.['x-switchyard-provider'],
        upstreamModel: served?.['x-switchyard-model'],
        credential: served?.['x-switchyard-credential'],
        dropped: dropped ? dropped.split(',') : [],
        hostMs: overhead === undefined ? undefined : Number(overhead),
        bodies: bodies.keeps(status) ? bodies.record(request.bodyText, request.answerText) : undefined,
      }),
    );
  }
}
