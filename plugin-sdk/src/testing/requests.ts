/**
 * The defaults the harness fills into omitted request fields, so a test spells out only what
 * its case is about. The results must pass the worker's params schemas: a test should fail on
 * the plugin's behaviour, never on a half-built request.
 *
 * @module
 */
import type {
  AuthCredential,
  BatchEvent,
  ExecutorRequest,
  PackedEvents,
  RegisterResult,
  RequestInterceptParams,
  ResponseInterceptParams,
  RouteRequest,
  SchedulerCandidate,
  SchedulerPickParams,
  StreamInterceptBatchParams,
  StreamInterceptParams,
  WireEvent,
} from '../schema.js';

const common = { requestId: 'test', sourceFormat: 'openai' } as const;
const FALLBACK_MODEL = 'test-model';

/** The `model` a client body names, if any. */
function modelOf(body: unknown): string | undefined {
  const model = (body as { model?: unknown } | null)?.model;
  return typeof model === 'string' && model !== '' ? model : undefined;
}

/** A full `model.route` request. */
export function routeRequest(req: Partial<RouteRequest> & { requestedModel: string }): RouteRequest {
  return { ...common, stream: false, headers: {}, query: {}, body: {}, availableProviders: [], ...req };
}

/** A full `request.intercept` request; the phase is the plugin's own. */
export function requestIntercept(req: Partial<RequestInterceptParams> & { body: unknown }, registration: RegisterResult): RequestInterceptParams {
  const model = req.model ?? req.requestedModel ?? modelOf(req.body) ?? FALLBACK_MODEL;
  const phase = registration.interceptorPhase ?? 'beforeAuth';
  return { ...common, phase, model, requestedModel: req.requestedModel ?? model, stream: false, headers: {}, ...req };
}

/** A full `response.intercept` request: a 200 from provider `test`. */
export function responseIntercept(res: Partial<ResponseInterceptParams> & { body: unknown }): ResponseInterceptParams {
  return { ...common, model: modelOf(res.body) ?? FALLBACK_MODEL, provider: 'test', status: 200, headers: {}, ...res };
}

/** A full `stream.intercept` request: the first event of the stream. */
export function streamIntercept(chunk: Partial<StreamInterceptParams> & { event: WireEvent }): StreamInterceptParams {
  return { ...common, index: 0, ...chunk };
}

/** What a test gives for a `stream.interceptBatch` call: the events, one by one or packed, and any other params. */
export type BatchRequest = Partial<StreamInterceptBatchParams> & ({ events: BatchEvent[] } | { packed: PackedEvents });

/** A full `stream.interceptBatch` request: events from the first of the stream on. */
export function streamInterceptBatch(batch: BatchRequest): StreamInterceptBatchParams {
  return { ...common, index: 0, ...batch };
}

/** A full `scheduler.pick` request, for the provider of the first candidate. */
export function schedulerPick(req: Partial<SchedulerPickParams> & { candidates: SchedulerCandidate[] }): SchedulerPickParams {
  return { provider: req.candidates[0]?.provider ?? 'test', model: FALLBACK_MODEL, ...req };
}

/** A full executor request for the body's model, else the executor's first model. */
export function executorRequest(req: Partial<ExecutorRequest> & { body: unknown }, registration: RegisterResult, stream: boolean): ExecutorRequest {
  const model = req.model ?? modelOf(req.body) ?? registration.executor?.models[0]?.id ?? FALLBACK_MODEL;
  return { requestId: common.requestId, model, requestedModel: req.requestedModel ?? model, stream, headers: {}, ...req };
}

/** A full `auth.refresh` credential: provider `test`, id `<provider>#0`, no metadata yet. */
export function authCredential(credential: Partial<AuthCredential> & Pick<AuthCredential, 'type' | 'material'>): AuthCredential {
  const provider = credential.provider ?? 'test';
  return { ...credential, id: credential.id ?? `${provider}#0`, provider, metadata: credential.metadata ?? {} };
}
