/**
 * Types shared by the mock upstream's server and its wire-format modules (three formats, and
 * Vertex AI serving two of them).
 *
 * The public half ({@link MockFormat}, {@link RecordedRequest}, {@link Fault}, {@link MockUpstream})
 * is re-exported from `index.ts`; the internal half ({@link Reply}, {@link Route},
 * {@link FormatSpec}) is the contract between `server.ts` and the format modules.
 *
 * @module
 */

/**
 * The wire formats the mock speaks; each is served under its own path prefix, and Vertex AI
 * (`/vertex/v1`) serves `gemini` and `anthropic` again under its own URLs.
 */
export type MockFormat = 'openai' | 'anthropic' | 'gemini';

/** One request the mock received, kept in {@link MockUpstream.requests} in arrival order. */
export interface RecordedRequest {
  format: MockFormat;
  method: string;
  /** The URL path without the query string, prefix included (e.g. `/openai/v1/chat/completions`). */
  path: string;
  query: Record<string, string>;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /**
   * OpenAI: `Authorization: Bearer`; Anthropic: `x-api-key` (or `Bearer`); Gemini:
   * `x-goog-api-key` or `?key=`; Vertex AI: `Authorization: Bearer` only (the access token).
   */
  apiKey: string | undefined;
  /** The parsed JSON body; undefined when the body was empty or not valid JSON. */
  body: any;
  /** The body exactly as it arrived. */
  rawBody: string;
  /** When the request arrived (epoch ms). */
  at: number;
  /** `body.model`, or the `{model}` path segment for Gemini and Vertex AI. */
  model: string | undefined;
  stream: boolean;
  /** Vertex AI: the `{project}` path segment; undefined for the other routes. */
  project: string | undefined;
  /** Vertex AI: the `{location}` path segment (the region); undefined for the other routes. */
  location: string | undefined;
  /** The client closed the connection before the mock finished responding. */
  aborted: boolean;
  /** The mock finished its response normally. */
  finished: boolean;
}

/** A switchable misbehaviour. The first fault whose filters match a request applies to it. */
export interface Fault {
  /** Match filters; an absent filter matches anything. */
  format?: MockFormat;
  key?: string;
  model?: string;
  /** How many matching requests the fault applies to; absent means until cleared. */
  times?: number;
  kind: 'status' | 'slow' | 'reset' | 'cut' | 'hang';
  /** Kind `status`: the HTTP status, answered with the format's own error body. */
  status?: number;
  /** Kind `status`: value of the `Retry-After` header, e.g. `'2'`. */
  retryAfter?: string;
  /** Kind `status`: the error message; default `mock fault <status>`. */
  message?: string;
  /** Kind `status`: the whole error body instead of the format's own shape (a real upstream's body). */
  body?: unknown;
  /** Kind `slow`: wait before sending headers, and for streams also between chunks. */
  delayMs?: number;
  /** Kind `cut`: for streams, drop the connection after this many events (default 2). */
  afterChunks?: number;
}

/** A running mock upstream, as returned by `startMockUpstream`. */
export interface MockUpstream {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The base URL an SDK client or gateway provider of that format should use. */
  baseUrl(format: MockFormat): string;
  /**
   * `${url}/vertex/v1`: the `baseUrl` of a provider on Vertex AI, below which the mock serves
   * `/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
   * (`:streamGenerateContent`, `:countTokens`; Gemini's wire format) and
   * `.../publishers/anthropic/models/{model}:rawPredict` (`:streamRawPredict`; Anthropic Messages
   * with `anthropic_version: "vertex-2023-10-16"` in the body and no `model`). Only
   * `Authorization: Bearer <token>` authenticates there.
   */
  vertexBaseUrl: string;
  /** Every request since the start or the last reset; none when started with `record: false`. */
  requests: RecordedRequest[];
  fault(f: Fault): void;
  clearFaults(): void;
  /** Clears recorded requests and faults; response ids count from 1 again. */
  reset(): void;
  /** The models each format's models endpoint lists; mutable. */
  models: Record<MockFormat, string[]>;
  /**
   * When set, a request whose key it refuses is answered 401 (an expired or revoked token), and
   * counted in `refused`. Settable at any time; undefined accepts every key.
   */
  authorize?: (apiKey: string) => boolean;
  /** Requests `authorize` refused. */
  refused: RecordedRequest[];
  /**
   * When set, every key has a request budget per window: answers carry the format's rate-limit
   * headers (OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`) counting it down, and a
   * request past it is answered 429 with the time to the window's end; cleared by `reset`.
   */
  budget?: { requests: number; windowMs: number };
  /** Requests the budget refused with a 429. */
  overBudget: RecordedRequest[];
  /** When set, headers added to every answer (rate-limit headers, say); cleared by `reset`. */
  responseHeaders?: (request: RecordedRequest) => Record<string, string> | undefined;
  /** Sockets currently open to the mock. */
  openConnections(): number;
  /** Resolves once `pred(requests)` holds; rejects after `timeoutMs` (default 2000). */
  waitFor(pred: (r: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Drops every open connection (hanging requests included) and stops listening. */
  close(): Promise<void>;
}

/** What a format module wants written: one JSON body, or a stream of pre-framed events. */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | {
      kind: 'stream';
      /** Each element is one event exactly as it goes on the wire (frame and separator included). */
      frames: string[];
      headers: Record<string, string>;
    };

/** A routed request as the format module sees it. */
export interface Call {
  body: any;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** 1-based position of the request in `requests`; response ids are built from it. */
  seq: number;
  /** The models the models endpoint should list. */
  models: string[];
}

/** A request matched to one endpoint of a format. */
export interface Route {
  /** The endpoint's wire format when it is not its spec's (Vertex AI serves two). */
  format?: MockFormat;
  model: string | undefined;
  stream: boolean;
  /** Vertex AI's `{project}` and `{location}` path segments. */
  project?: string;
  location?: string;
  /** Builds the answer, including the format's validation errors. */
  respond(call: Call): Reply;
}

/** Everything the server needs to know about one wire format (or one API serving several). */
export interface FormatSpec {
  /** The format of the spec's endpoints unless a {@link Route} names its own. */
  format: MockFormat;
  /** Path prefix under which the format is served, e.g. `/openai/v1`. */
  prefix: string;
  apiKey(headers: Record<string, string>, query: Record<string, string>): string | undefined;
  /** The message of the 401 sent when {@link apiKey} finds no key. */
  missingKeyMessage: string;
  /** Finds the endpoint for a path below the prefix; undefined answers 404. `body` may be undefined. */
  route(method: string, subPath: string, body: any, query: Record<string, string>): Route | undefined;
  /** An error reply in the format's own error shape; `route` is the matched endpoint, if any. */
  error(status: number, message: string, seq: number, route?: Route): Reply;
}
