/**
 * What the pipeline tells the outside world (metrics, the access log) about the requests it
 * serves. Its methods run on the request path: keep them cheap.
 *
 * @module
 */

/** The access-log line of one request, written once when it ends. */
export interface AccessLine {
  requestId: string;
  /** The request this one ran inside (a nested `host.executeModel` call's parent). */
  parentRequestId?: string;
  /** The client's key name (or `key:` and a digest prefix); never the key. */
  client?: string;
  endpoint: string;
  method: string;
  /** The model as requested. */
  model?: string;
  provider?: string;
  upstreamModel?: string;
  credential?: string;
  attempts?: number;
  router?: string;
  status: number;
  durationMs: number;
  stream: boolean;
  aborted?: true;
}

export interface PipelineObserver {
  /** One upstream call (HTTP or executor plugin) answered or failed `seconds` after it was sent; a stream counts until its first event. */
  upstreamCall(provider: string, seconds: number): void;
  /** A stream's first event was ready for the client `seconds` after the request arrived. */
  firstEvent(provider: string, seconds: number): void;
  /** The host's own time for a served request (`x-switchyard-overhead-ms`). */
  overhead(seconds: number): void;
  /** One request ended. `provider` and `model` are empty when nothing served it. */
  request(endpoint: string, provider: string, model: string, status: number): void;
}

/** Writes access lines (the HTTP layer's and nested calls'); pino's `info` fits. */
export type AccessLog = (line: AccessLine, msg: 'request') => void;
