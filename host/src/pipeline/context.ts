/**
 * The one request context every stage reads and fills, for client requests, token counts and
 * nested `host.executeModel` calls alike: what the client sent, what routing decided, and what
 * the attempts made of it.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Pool } from '../core/conductor/pool.js';
import type { IRReasoning } from '../formats/ir.js';
import type { JsonBody } from '../formats/json-body.js';
import type { DecodedRequest, WireEvent, WireFormat } from '../formats/wire-format.js';
import type { Flow } from '../streams/flow.js';
import type { CallScope } from './plugins/dispatch.js';
import type { Runtime } from './runtime.js';
import type { DecisionTrace } from './trace/trace.js';

/** What a request asks for: a generation, or a count of its input tokens. */
export type OperationKind = 'generate' | 'count';

/** What a caller (the HTTP layer, a nested call) hands the pipeline. */
export interface PipelineInput {
  requestId: string;
  /** The request this one runs inside (a nested call's parent). */
  parentRequestId?: string;
  /** Who is asking: the client key's name (or digest prefix); owns what the request stores. */
  client: string;
  /** The client's wire format (the endpoint it called). */
  format: WireFormat;
  operation: OperationKind;
  /** The client's body; its text, when the host has it, goes upstream as is when nothing changes. */
  body: JsonBody;
  /** Gemini puts the model and the stream flag in the URL. */
  urlModel?: string;
  urlStream?: boolean;
  headers: IncomingHttpHeaders;
  query?: Readonly<Record<string, unknown>>;
  /**
   * Aborted when the client goes away, or with a `GatewayError` when the host ends the request
   * (shutdown): then the client is still there and is told in its format.
   */
  signal: AbortSignal;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** A nested call from this plugin: its router is skipped. */
  skipRouter?: string;
  /** The request's decision trace, filled by the stages (client requests have one; nested calls not). */
  trace?: DecisionTrace;
}

/** A translation of the client's body for one upstream format and model. */
export interface Translation {
  body: JsonBody;
  /** Fields that could not be carried, for `x-switchyard-dropped`. */
  dropped: readonly string[];
}

/** The request as the stages see it: the input, then what each stage added. */
export interface RequestContext extends PipelineInput {
  readonly rt: Runtime;
  /** Decode: the client's request in the IR (its model without a thinking suffix), and what it leaves unmapped. */
  decoded: DecodedRequest;
  /** The reasoning a thinking suffix on the model name asked for: applied to every upstream body. */
  suffix: IRReasoning | undefined;
  /** Client headers as plugins see them: single strings, the client's credentials removed. */
  pluginHeaders: Record<string, string>;
  /** The URL query as plugins see it, the client key removed. */
  pluginQuery: Record<string, string>;
  /** Headers sent upstream on top of each upstream's own: forwarded or set by interceptors. */
  upstreamHeaders: Record<string, string>;
  /** Route: the chain of pools the conductor runs over, and the router plugin that chose it. */
  chain: readonly Pool[];
  routerId?: string;
  /** Plan: the session the request belongs to, for affinity. */
  sessionId?: string;
  /** Attempts: the client's body per upstream format and model, made once each. */
  translations: Map<string, Translation>;
  /** Time spent waiting on upstreams, excluded from the host's overhead. */
  upstreamMs: number;
  /** What plugin calls made for this request carry: its signal and its nested-call handler. */
  pluginCall: CallScope;
}

/** The pipeline's answer. `body` keeps its text when an upstream's own bytes go back. */
export type PipelineResult =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: JsonBody }
  | { kind: 'stream'; headers: Record<string, string>; events: Flow<WireEvent> };
