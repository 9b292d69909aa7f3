/**
 * The HTTP front: a fastify server with every endpoint of CONTRACT section 3. Routes only
 * parse the URL, authenticate and hand over to the pipeline; errors leave in the endpoint's
 * own format.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { OPEN_CLIENT, authenticate } from '../auth/client-auth.js';
import type { Config } from '../config/schema.js';
import { listModels } from '../core/chain.js';
import { gatewayError, isGatewayError } from '../errors/registry.js';
import { FORMATS, formatOfUrl } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { JsonBody } from '../formats/json-body.js';
import type { Operation, WireFormat } from '../formats/wire-format.js';
import type { Metrics } from '../metrics/registry.js';
import type { Runtime } from '../pipeline/runtime.js';
import { serve } from '../pipeline/serve.js';
import { registerConsole } from './console.js';
import { routeFormat, sendError, toGatewayError } from './errors.js';
import { Exchanges, keepAnswer } from './exchanges.js';
import { DecisionTrace } from '../pipeline/trace/trace.js';
import { type ManagementOptions, registerManagement } from './management.js';
import { writeStream } from './writer.js';

export interface ServerOptions extends ManagementOptions {
  metrics: Metrics;
  /** What `GET /metrics` answers instead of `metrics` alone: a worker of `serve --workers` answers for the whole set. */
  scrape?: () => Promise<string>;
  /** The runtime of the config in force; read once per request, when it arrives. */
  runtime: () => Runtime;
  /** Client-side limits; fixed for the server's life (a change needs a restart). */
  limits: Pick<Config['limits'], 'bodyBytes' | 'requestTimeout' | 'socketTimeout'>;
  logger: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    format?: FormatName;
    /** A model listing route, possibly shared by several formats. */
    listing?: boolean;
    /** Client key required (the proxied API); such requests get an access line and a request count. */
    auth?: boolean;
  }
  interface FastifyRequest {
    /** The runtime in force when the request arrived: it serves the request to its end, whatever reloads meanwhile. */
    runtime: Runtime | null;
    /** The client the request's key names (its configured name, or `key:` and a digest prefix). */
    client: string | null;
  }
  interface FastifyInstance {
    /** Aborts every client API request in flight with `reason` (a shutdown's deadline); returns how many were open. */
    abortInFlight(reason: Error): number;
  }
}

type Query = Record<string, string | undefined>;

export function createServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.limits.bodyBytes,
    // Slow or silent clients must not hold sockets forever (Slowloris and the like).
    requestTimeout: options.limits.requestTimeout,
    connectionTimeout: options.limits.socketTimeout,
    // The host writes its own access line per request; fastify's two lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // A pino child per request costs ~8 µs (it serialises its bindings through the redactor);
    // the few lines logged per request name their request id themselves instead.
    childLoggerFactory: (logger) => logger,
    // find-my-way would otherwise 404 the Gemini `model:action` segment's trailing variants.
    // Model names can be long (fine-tunes, provider-qualified names): the default 100 is too short.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // URL errors the router raises (bad percent-escapes, over-long segments) leave in the endpoint's shape too.
    frameworkErrors: (error, request, reply) => {
      sendError(reply, formatOfUrl(request.url), toGatewayError(error), String(request.id));
    },
  });
  const exchanges = new Exchanges(options.metrics, options.traces, options.events);
  app.decorateRequest('startedAt', 0);
  app.decorateRequest('endpoint', '');
  app.decorateRequest('abort', null);
  app.decorateRequest('requestedModel', null);
  app.decorateRequest('streamed', false);
  app.decorateRequest('served', null);
  app.decorateRequest('bodyText', null);
  app.decorateRequest('answerText', null);
  app.decorateRequest('runtime', null);
  app.decorateRequest('client', null);
  app.decorateRequest('trace', null);
  // fastify's own JSON parser (proto and constructor poisoning refused), keeping the text it
  // parsed: a same-format request for the model it names goes upstream as these very bytes.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    request.bodyText = text as string;
    parseJson(request, text as string, done);
  });
  app.decorate('abortInFlight', (reason: Error) => exchanges.abortAll(reason));

  // Client API routes get their hook when declared, so no request asks its route whether it needs
  // one, nor builds fastify's `routeOptions` to learn its path.
  const clientRequest = (endpoint: string): onRequestHookHandler => (request, reply, done) => {
    request.startedAt = performance.now();
    // Read once: the request is authenticated and served by the same config.
    request.runtime = options.runtime();
    // Tracked before authentication, so a rejected request gets its access line too.
    exchanges.open(request, reply.raw, endpoint);
    try {
      request.client = authenticate(request.runtime.clientKeys, request.headers, request.query as Query);
    } catch (err) {
      return done(err as Error);
    }
    done();
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.auth) route.onRequest = [clientRequest(route.url), ...[route.onRequest ?? []].flat()];
  });

  app.setErrorHandler((err, request, reply) => {
    // The client left: its request was aborted on purpose and there is no one to answer.
    if (reply.raw.destroyed) return;
    // A request the host ended (shutdown) answers with why, whatever the aborted call made of it.
    const ended = request.abort?.reason;
    const gerr = toGatewayError(isGatewayError(ended) ? ended : err);
    if (gerr.status >= 500 && gerr.code === 'internal') request.log.error({ requestId: request.id, err }, 'unhandled error');
    sendError(reply, routeFormat(request), gerr, request.id);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, formatOfUrl(request.url), gatewayError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`), request.id);
  });

  app.get('/healthz', async () => {
    // Still 200 when the shared store is down: the host serves from its local view.
    const health = options.runtime().conductor.shared.store.health();
    return health.up ? { status: 'ok' } : { status: 'degraded', store: health.store, error: health.error };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.scrape ? options.scrape() : options.metrics.registry.metrics();
  });
  registerManagement(app, options);
  registerConsole(app);

  // Each format's endpoints: the route says the format, its operation what the request asks for.
  for (const format of Object.values(FORMATS)) {
    for (const endpoint of format.endpoints) {
      app.post<{ Params: Record<string, string> }>(endpoint.url, { config: { format: format.name, auth: true } }, (request, reply) =>
        serveRequest(exchanges, format, endpoint.operation(request.params), request, reply),
      );
    }
  }
  // Stored answers of formats that continue them by id: visible only to the client that made them.
  for (const format of Object.values(FORMATS)) {
    const conversation = format.conversation;
    if (!conversation) continue;
    const stored = async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const entry = await request.runtime!.conversations?.get(request.params.id);
      if (!entry || entry.owner !== request.client) throw gatewayError('not_found', `No response with id '${request.params.id}'`);
      return entry;
    };
    const route = { config: { format: format.name, auth: true } };
    app.get<{ Params: { id: string } }>(`${conversation.url}/:id`, route, async (request) => (await stored(request)).response);
    app.delete<{ Params: { id: string } }>(`${conversation.url}/:id`, route, async (request) => {
      const entry = await stored(request);
      await request.runtime!.conversations!.delete(entry.id);
      return conversation.deleted(entry.id);
    });
  }
  const listings = new Set(Object.values(FORMATS).flatMap((f) => (f.listing ? [f.listing.url] : [])));
  for (const url of listings) {
    app.get(url, { config: { listing: true, auth: true } }, async (request) => {
      const rt = request.runtime!;
      return routeFormat(request).listing!.encodeList(listModels(rt.catalog, rt.config.models));
    });
  }
  for (const format of Object.values(FORMATS)) {
    const { itemUrl, encodeItem } = format.listing ?? {};
    if (!itemUrl || !encodeItem) continue;
    app.get<{ Params: { target: string } }>(itemUrl, { config: { format: format.name, auth: true } }, async (request) => {
      const rt = request.runtime!;
      const entry = listModels(rt.catalog, rt.config.models).find((m) => m.id === request.params.target);
      if (!entry) throw gatewayError('model_not_found', `The model '${request.params.target}' does not exist`);
      return encodeItem(entry);
    });
  }

  return app;
}

/** Runs the pipeline for a client request and sends its answer: a JSON body, or a stream in the format's framing. */
async function serveRequest(exchanges: Exchanges, format: WireFormat, operation: Operation, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = request.body as { model?: unknown; stream?: unknown } | null;
  const model = operation.model ?? (typeof body?.model === 'string' ? body.model : undefined);
  const stream = operation.kind === 'generate' && (operation.stream ?? body?.stream === true);
  const signal = exchanges.start(request, model, stream);
  const query = request.query as Query;
  request.trace = new DecisionTrace(request.runtime!.conductor.shared.store, format.name);
  const result = await serve(request.runtime!, {
    requestId: request.id,
    client: request.client ?? OPEN_CLIENT,
    format,
    operation: operation.kind,
    body: JsonBody.fromValue(request.body, request.bodyText ?? undefined),
    urlModel: operation.model,
    urlStream: operation.stream,
    headers: request.headers,
    query,
    signal,
    startedAt: request.startedAt,
    trace: request.trace,
  });
  request.served = result.headers;
  if (result.kind === 'json') {
    // The body's text: an upstream's own bytes when it answered in the client's format.
    reply.headers(result.headers).code(result.status).type('application/json; charset=utf-8');
    const text = result.body.text;
    keepAnswer(request, text);
    return text;
  }
  reply.hijack();
  await writeStream(reply.raw, result.headers, result.events, format.framing(query));
  return reply;
}
