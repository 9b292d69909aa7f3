/**
 * Zod schemas for every RPC payload, in one place: the host validates what plugins answer, the
 * worker validates what the host sends, and the SDK's TypeScript types are inferred from these
 * so types and wire can never drift.
 *
 * @module
 */
import { z } from 'zod';

/** The wire formats: a request's source format, an executor's format, a nested call's format. */
export const formatSchema = z.enum(['openai', 'anthropic', 'gemini', 'openai-responses']);
export type Format = z.infer<typeof formatSchema>;

/** Header maps as they cross the wire: lower-case names, single string values. */
export const headersSchema = z.record(z.string(), z.string());
export type Headers = z.infer<typeof headersSchema>;

export const capabilitySchema = z.enum(['modelRouter', 'requestInterceptor', 'responseInterceptor', 'streamInterceptor', 'scheduler', 'executor', 'auth']);
export type Capability = z.infer<typeof capabilitySchema>;

export const interceptorPhaseSchema = z.enum(['beforeAuth', 'afterAuth']);
export type InterceptorPhase = z.infer<typeof interceptorPhaseSchema>;

/** A model an executor plugin serves. */
export const executorModelSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().optional(),
});

// ---------------------------------------------------------------- plugin.register

export const registerParamsSchema = z.object({
  /** The host's protocol version. */
  protocol: z.string(),
  pluginId: z.string(),
});
export type RegisterParams = z.infer<typeof registerParamsSchema>;

export const registerResultSchema = z.object({
  id: z.string(),
  /** The SDK's protocol version the plugin was built with. */
  protocol: z.string(),
  capabilities: z.array(capabilitySchema),
  /** Present when the plugin defines `requestInterceptor`. */
  interceptorPhase: interceptorPhaseSchema.optional(),
  /** Present when the plugin defines `executor`. */
  executor: z
    .object({ provider: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/), format: formatSchema, models: z.array(executorModelSchema) })
    .optional(),
  /** Present when the plugin defines `auth` (protocol 1.1): the credential types it refreshes. */
  auth: z.object({ types: z.array(z.string().min(1)).min(1) }).optional(),
});
export type RegisterResult = z.infer<typeof registerResultSchema>;

// ---------------------------------------------------------------- model.route

export const routeRequestSchema = z.object({
  requestId: z.string(),
  sourceFormat: formatSchema,
  requestedModel: z.string(),
  stream: z.boolean(),
  /** Client headers without the client's credentials. */
  headers: headersSchema,
  query: z.record(z.string(), z.string()),
  body: z.unknown(),
  /** Provider keys that have at least one usable credential (or executor). */
  availableProviders: z.array(z.string()),
});
export type RouteRequest = z.infer<typeof routeRequestSchema>;

export const routeResultSchema = z.union([
  z.object({ handled: z.literal(false) }),
  z.object({
    handled: z.literal(true),
    targetKind: z.enum(['self', 'executor', 'provider', 'model']),
    target: z.string().min(1).optional(),
    targetModel: z.string().min(1).optional(),
    reason: z.string().optional(),
  }),
]);
export type RouteResult = z.infer<typeof routeResultSchema>;

// ---------------------------------------------------------------- request.intercept

export const requestInterceptParamsSchema = z.object({
  requestId: z.string(),
  phase: interceptorPhaseSchema,
  sourceFormat: formatSchema,
  /** The model the request will go to (after routing; the upstream model in afterAuth). */
  model: z.string(),
  requestedModel: z.string(),
  stream: z.boolean(),
  headers: headersSchema,
  /** beforeAuth: the client's body; afterAuth: the body about to go upstream. */
  body: z.unknown(),
  provider: z.string().optional(),
  credentialId: z.string().optional(),
});
export type RequestInterceptParams = z.infer<typeof requestInterceptParamsSchema>;

export const rejectionSchema = z.object({
  status: z.number().int().min(100).max(599),
  body: z.unknown().optional(),
  headers: headersSchema.optional(),
});

// Strict objects: a malformed `reject` (or a typo) must be an invalid answer, never "no change".
export const requestInterceptResultSchema = z.union([
  z.null(),
  z.strictObject({ reject: rejectionSchema }),
  z.strictObject({
    /** Merged into the headers; a null value deletes the header. */
    headers: z.record(z.string(), z.string().nullable()).optional(),
    /** Replaces the body. */
    body: z.unknown().optional(),
  }),
]);
export type RequestInterceptResult = z.infer<typeof requestInterceptResultSchema>;

// ---------------------------------------------------------------- response.intercept

export const responseInterceptParamsSchema = z.object({
  requestId: z.string(),
  sourceFormat: formatSchema,
  model: z.string(),
  provider: z.string(),
  status: z.number().int(),
  headers: headersSchema,
  body: z.unknown(),
});
export type ResponseInterceptParams = z.infer<typeof responseInterceptParamsSchema>;

export const responseInterceptResultSchema = z.union([
  z.null(),
  z.strictObject({ headers: z.record(z.string(), z.string().nullable()).optional(), body: z.unknown().optional() }),
]);
export type ResponseInterceptResult = z.infer<typeof responseInterceptResultSchema>;

// ---------------------------------------------------------------- stream.intercept

/** A client-format stream event: `event` is the SSE event name where the format has one. */
export const wireEventSchema = z.object({ event: z.string().optional(), data: z.unknown() });
export type WireEvent = z.infer<typeof wireEventSchema>;

export const streamInterceptParamsSchema = z.object({
  requestId: z.string(),
  /** 0 for the first event of the stream. */
  index: z.number().int().min(0),
  sourceFormat: formatSchema,
  event: wireEventSchema,
});
export type StreamInterceptParams = z.infer<typeof streamInterceptParamsSchema>;

export const streamInterceptResultSchema = z.union([z.null(), z.object({ drop: z.literal(true) }), z.object({ event: wireEventSchema })]);
export type StreamInterceptResult = z.infer<typeof streamInterceptResultSchema>;

// ---------------------------------------------------------------- stream.interceptBatch (protocol 1.2; `packed` 1.3)

/**
 * An event of a batch. An event the host holds as JSON text (a same-format stream passes the
 * upstream's text through untouched) travels as that text in `json`, in place of `data`: the
 * worker runtime parses it only when the handler reads `event.data`, and an event the handler
 * keeps is never parsed or re-serialised at all.
 */
export const batchEventSchema = wireEventSchema.extend({ data: z.unknown().optional(), json: z.string().optional() });
export type BatchEvent = z.infer<typeof batchEventSchema>;

/**
 * A batch's events as one text (protocol 1.3), sent when every event's `data` is a string (a
 * same-format stream's events, `[DONE]`): the strings end to end. Cloning one string to the
 * worker costs a fraction of cloning an object and a string per event, and the worker slices an
 * event's text out only when the handler reads it. A text that is a JSON object reaches the
 * handler parsed, as `json` does; any other text as it is, as `data` does.
 */
export const packedEventsSchema = z
  .object({
    /** The events' texts, end to end. */
    text: z.string(),
    /** Where each event's text ends in `text`: event i is `text.slice(ends[i - 1] ?? 0, ends[i])`. */
    ends: z.array(z.number().int().min(0)),
    /** Each event's SSE name (null for none), sent only when some event has one. */
    names: z.array(z.string().nullable()).optional(),
  })
  .refine((packed) => packed.ends.every((end, i) => end >= (packed.ends[i - 1] ?? 0)) && (packed.ends.at(-1) ?? 0) <= packed.text.length, {
    message: 'ends must rise and stay within text',
    path: ['ends'],
  })
  .refine((packed) => packed.names === undefined || packed.names.length === packed.ends.length, { message: 'names must have one entry per event', path: ['names'] });
export type PackedEvents = z.infer<typeof packedEventsSchema>;

/** How many events a batch carries, in either form. */
export function batchSize(batch: { events?: readonly unknown[]; packed?: { ends: readonly number[] } }): number {
  return batch.packed?.ends.length ?? batch.events?.length ?? 0;
}

export const streamInterceptBatchParamsSchema = z
  .object({
    requestId: z.string(),
    sourceFormat: formatSchema,
    /** The stream index of the first event; event i has index `index + i` unless `indices` says otherwise. */
    index: z.number().int().min(0),
    /** The events one by one (1.2); exactly one of `events` and `packed` is sent. */
    events: z.array(batchEventSchema).optional(),
    /** The events as one text (1.3, see {@link packedEventsSchema}). */
    packed: packedEventsSchema.optional(),
    /**
     * Each event's stream index, sent only when they are not consecutive: an earlier
     * interceptor dropped some, or transport frames sat between them.
     */
    indices: z.array(z.number().int().min(0)).optional(),
  })
  .refine((batch) => (batch.events === undefined) !== (batch.packed === undefined), { message: 'send either events or packed', path: ['events'] })
  .refine((batch) => batch.indices === undefined || batch.indices.length === batchSize(batch), {
    message: 'indices must have one entry per event',
    path: ['indices'],
  });
export type StreamInterceptBatchParams = z.infer<typeof streamInterceptBatchParamsSchema>;

/** One event's answer in a batch: the handler's answer, or `{error}` when it threw or answered invalidly on that event. */
export const streamInterceptBatchEntrySchema = z.union([...streamInterceptResultSchema.options, z.object({ error: z.string() })]);
export type StreamInterceptBatchEntry = z.infer<typeof streamInterceptBatchEntrySchema>;

/** One entry per event of the batch, in order. */
export const streamInterceptBatchResultSchema = z.array(streamInterceptBatchEntrySchema);
export type StreamInterceptBatchResult = z.infer<typeof streamInterceptBatchResultSchema>;

// ---------------------------------------------------------------- scheduler.pick

export const schedulerCandidateSchema = z.object({
  id: z.string(),
  provider: z.string(),
  label: z.string(),
  priority: z.number(),
  weight: z.number(),
  status: z.enum(['active', 'cooling']),
  inFlight: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
});
export type SchedulerCandidate = z.infer<typeof schedulerCandidateSchema>;

export const schedulerPickParamsSchema = z.object({
  /** The provider of the candidates, or several joined by "," when the pool mixes providers. */
  provider: z.string(),
  model: z.string(),
  sessionId: z.string().optional(),
  candidates: z.array(schedulerCandidateSchema),
});
export type SchedulerPickParams = z.infer<typeof schedulerPickParamsSchema>;

export const schedulerPickResultSchema = z.union([
  z.object({ handled: z.literal(false) }),
  z.object({ credentialId: z.string() }),
  z.object({ delegate: z.enum(['round-robin', 'fill-first']) }),
]);
export type SchedulerPickResult = z.infer<typeof schedulerPickResultSchema>;

// ---------------------------------------------------------------- executor.execute / executor.stream

export const executorRequestSchema = z.object({
  requestId: z.string(),
  /** The model the executor is asked to serve. */
  model: z.string(),
  requestedModel: z.string(),
  stream: z.boolean(),
  /** In the executor's declared format. */
  body: z.unknown(),
  headers: headersSchema,
  /** The credential slot this call runs under (never a secret). */
  credential: z.object({ id: z.string() }).optional(),
});
export type ExecutorRequest = z.infer<typeof executorRequestSchema>;

export const executorResultSchema = z.object({
  status: z.number().int().min(200).max(299).optional(),
  headers: headersSchema.optional(),
  body: z.unknown(),
});
export type ExecutorResult = z.infer<typeof executorResultSchema>;

/** `stream.chunk` notification params: one event in the executor's format. */
export const streamChunkParamsSchema = z.object({ event: z.unknown() });

/** `data` of an `upstreamStatus` error: the executor failed like an upstream would. */
export const upstreamStatusSchema = z.object({
  status: z.number().int().min(400).max(599),
  retryAfterMs: z.number().nonnegative().optional(),
  message: z.string().optional(),
});
export type UpstreamStatus = z.infer<typeof upstreamStatusSchema>;

// ---------------------------------------------------------------- auth.refresh (protocol 1.1)

/** An expiry: epoch ms, or an RFC 3339 time. */
export const expirySchema = z.union([z.number().finite(), z.string().min(1)]);

/** A credential of one of the plugin's types, secret material included (only its plugin sees it). */
export const authCredentialSchema = z.object({
  /** The credential's id (`provider#n`), as traces and management name it. */
  id: z.string(),
  provider: z.string(),
  type: z.string(),
  /** Everything secret of the credential: its file's fields (tokens, keys, client secrets). */
  material: z.record(z.string(), z.unknown()),
  /** What the plugin kept last time (`metadata` of its previous answer). */
  metadata: z.record(z.string(), z.unknown()),
  /** When the material in hand expires (epoch ms), if known. */
  expiresAt: z.number().optional(),
});
export type AuthCredential = z.infer<typeof authCredentialSchema>;

export const authRefreshResultSchema = z.object({
  /** Sent upstream as `Authorization: Bearer <token>`. */
  token: z.string().min(1).optional(),
  /** Headers to send upstream instead of (or besides) the token. */
  headers: headersSchema.optional(),
  /** When the token or headers stop working. */
  expiresAt: expirySchema.optional(),
  /** Fields to write back into the credential's file (a rotated refresh token). */
  material: z.record(z.string(), z.unknown()).optional(),
  /** Non-secret state to keep with the credential and hand back next time. */
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type AuthRefreshResult = z.infer<typeof authRefreshResultSchema>;

// ---------------------------------------------------------------- host.executeModel / host.log

export const executeModelParamsSchema = z.object({
  format: formatSchema,
  body: z.record(z.string(), z.unknown()),
  stream: z.boolean().default(false),
  /** Gemini only: the model (it lives in the URL, not the body). */
  model: z.string().optional(),
});
export type ExecuteModelParams = z.input<typeof executeModelParamsSchema>;

export const executeModelResultSchema = z.object({
  status: z.number().int(),
  headers: headersSchema,
  /** The answer body; for a stream, the list of client-format events. */
  body: z.unknown(),
});
export type ExecuteModelResult = z.infer<typeof executeModelResultSchema>;

export const logParamsSchema = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error']),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type LogParams = z.infer<typeof logParamsSchema>;

// ---------------------------------------------------------------- transport

/** What a worker is started with (piscina `workerData`). */
export interface WorkerData {
  pluginId: string;
  /** Absolute `file:` URL of the plugin's entry module. */
  entry: string;
  /** The plugin's `config` from switchyard.yaml. */
  config: unknown;
}

/** Params and results of every host -> plugin method, by method name. */
export const methodSchemas = {
  'plugin.register': { params: registerParamsSchema, result: registerResultSchema },
  'model.route': { params: routeRequestSchema, result: routeResultSchema },
  'request.intercept': { params: requestInterceptParamsSchema, result: requestInterceptResultSchema },
  'response.intercept': { params: responseInterceptParamsSchema, result: responseInterceptResultSchema },
  'stream.intercept': { params: streamInterceptParamsSchema, result: streamInterceptResultSchema },
  'stream.interceptBatch': { params: streamInterceptBatchParamsSchema, result: streamInterceptBatchResultSchema },
  'scheduler.pick': { params: schedulerPickParamsSchema, result: schedulerPickResultSchema },
  'executor.execute': { params: executorRequestSchema, result: executorResultSchema },
  'executor.stream': { params: executorRequestSchema, result: executorResultSchema.partial() },
  'auth.refresh': { params: authCredentialSchema, result: authRefreshResultSchema },
} as const;
export type HostMethod = keyof typeof methodSchemas;
