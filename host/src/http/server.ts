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
import { listModels } from '../core/chain.js';
import type { Runtime } from '../core/runtime.js';
import { gatewayError, isGatewayError } from '../errors/registry.js';
import { CODECS } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { countTokens } from '../pipeline/count-tokens.js';
import { type ChatResult, proxyChat } from '../pipeline/proxy.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import { authenticate } from './auth.js';
import { Exchanges } from './exchanges.js';
import { type ManagementOptions, registerManagement } from './management.js';
import { formatOfUrl, routeFormat, sendError, toGatewayError } from './errors.js';
import { writeStream } from './writer.js';

export interface ServerOptions extends ManagementOptions {
  metrics: Metrics;
  /** The runtime of the config in force; read once per request. */
  runtime: () => Runtime;
  /** Client-side limits; fixed for the server's life (a change needs a restart). */
  limits: Pick<Config['limits'], 'bodyBytes' | 'requestTimeout' | 'socketTimeout'>;
  logger: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    format?: FormatName;
    /** Client key required (the proxied API); such requests get an access line and a request count. */
    auth?: boolean;
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
  const exchanges = new Exchanges(options.metrics);
  app.decorateRequest('startedAt', 0);
  app.decorateRequest('abort', null);
  app.decorateRequest('requestedModel', null);
  app.decorateRequest('streamed', false);
  app.decorateRequest('served', null);
  app.decorateRequest('bodyText', null);
  // fastify's own JSON parser (proto and constructor poisoning refused), keeping the text it
  // parsed: a same-format request for the model it names goes upstream as these very bytes.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    request.bodyText = text as string;
    parseJson(request, text as string, done);
  });
  app.decorate('abortInFlight', (reason: Error) => exchanges.abortAll(reason));

  // Client API routes get their hook when declared, so no request asks its route whether it needs one.
  const clientRequest: onRequestHookHandler = (request, reply, done) => {
    request.startedAt = performance.now();
    // Tracked before authentication, so a rejected request gets its access line too.
    exchanges.open(request, reply);
    try {
      authenticate(options.runtime().clientKeys, request.headers, request.query as Query);
    } catch (err) {
      return done(err as Error);
    }
    done();
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.auth) route.onRequest = [clientRequest, ...[route.onRequest ?? []].flat()];
  });

  app.setErrorHandler((err, request, reply) => {
    // The client left: its request was aborted on purpose and there is no one to answer.
    if (reply.raw.destroyed) return;
    // A request the host ended (shutdown) answers with why, whatever the aborted call made of it.
    const ended = request.abort?.signal.reason;
    const gerr = toGatewayError(isGatewayError(ended) ? ended : err);
    if (gerr.status >= 500 && gerr.code === 'internal') request.log.error({ requestId: request.id, err }, 'unhandled error');
    sendError(reply, routeFormat(request), gerr, request.id);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, formatOfUrl(request.url), gatewayError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`), request.id);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  registerManagement(app, options);

  const chat = (format: FormatName, request: FastifyRequest, reply: FastifyReply, url?: { model: string; stream: boolean }) =>
    serveChat(options.runtime(), format, request, reply, start(exchanges, request, url), url);
  const count = (format: 'anthropic' | 'gemini', request: FastifyRequest, model?: string) =>
    countTokens(options.runtime(), format, request.body, model, start(exchanges, request, model === undefined ? undefined : { model, stream: false }));

  app.post('/v1/chat/completions', { config: { format: 'openai', auth: true } }, (req, reply) => chat('openai', req, reply));
  app.post('/v1/messages', { config: { format: 'anthropic', auth: true } }, (req, reply) => chat('anthropic', req, reply));
  app.post('/v1/messages/count_tokens', { config: { format: 'anthropic', auth: true } }, async (req) => count('anthropic', req));
  app.post<{ Params: { target: string } }>('/v1beta/models/:target', { config: { format: 'gemini', auth: true } }, async (req, reply) => {
    const { model, action } = splitGeminiTarget(req.params.target);
    switch (action) {
      case 'generateContent':
        return chat('gemini', req, reply, { model, stream: false });
      case 'streamGenerateContent':
        return chat('gemini', req, reply, { model, stream: true });
      case 'countTokens':
        return count('gemini', req, model);
      default:
        throw gatewayError('not_found', `Unknown Gemini method '${action}'`);
    }
  });

  app.get('/v1/models', { config: { auth: true } }, async (req) => {
    const format: FormatName = req.headers['anthropic-version'] ? 'anthropic' : 'openai';
    return CODECS[format].encodeModelList(listModels(options.runtime()));
  });
  app.get('/v1beta/models', { config: { format: 'gemini', auth: true } }, async () =>
    CODECS.gemini.encodeModelList(listModels(options.runtime())),
  );
  app.get<{ Params: { target: string } }>('/v1beta/models/:target', { config: { format: 'gemini', auth: true } }, async (req) => {
    const name = req.params.target.replace(/^models\//, '');
    const entry = listModels(options.runtime()).find((m) => m.id === name);
    if (!entry) throw gatewayError('model_not_found', `The model '${name}' does not exist`);
    return (CODECS.gemini.encodeModelList([entry]) as { models: unknown[] }).models[0];
  });

  return app;
}

/** Splits Gemini's `{model}:{action}` path segment. */
function splitGeminiTarget(target: string): { model: string; action: string } {
  const colon = target.lastIndexOf(':');
  if (colon <= 0) throw gatewayError('not_found', `Expected models/{model}:{method}, got '${target}'`);
  // The router has already percent-decoded the segment: decoding again would mangle (or throw on) a "%".
  return { model: target.slice(0, colon), action: target.slice(colon + 1) };
}

/** Starts a pipeline run: notes the model and stream flag (from the URL for Gemini, else the body) and returns its signal. */
function start(exchanges: Exchanges, request: FastifyRequest, url?: { model: string; stream: boolean }): AbortSignal {
  const body = request.body as { model?: unknown; stream?: unknown } | null;
  const model = url ? url.model : typeof body?.model === 'string' ? body.model : undefined;
  return exchanges.start(request, model, url ? url.stream : body?.stream === true);
}

async function serveChat(
  runtime: Runtime,
  format: FormatName,
  request: FastifyRequest,
  reply: FastifyReply,
  signal: AbortSignal,
  url?: { model: string; stream: boolean },
): Promise<unknown> {
  const result: ChatResult = await proxyChat(runtime, {
    requestId: request.id,
    format,
    body: request.body,
    bodyText: request.bodyText ?? undefined,
    urlModel: url?.model,
    urlStream: url?.stream,
    headers: request.headers,
    signal,
    startedAt: request.startedAt,
  });
  request.served = result.headers;
  if (result.kind === 'json') {
    reply.headers(result.headers).code(result.status);
    // JSON text from a same-format upstream goes out as it came, with no serialisation.
    if (result.rawJson) reply.type('application/json; charset=utf-8');
    return result.body;
  }
  reply.hijack();
  const sse = format !== 'gemini' || (request.query as Query).alt === 'sse';
  await writeStream(reply.raw, result.headers, result.events, sse ? 'sse' : 'json-array');
  return reply;
}
