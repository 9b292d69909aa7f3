/**
 * The HTTP front: a fastify server with every endpoint of CONTRACT section 3. Routes only
 * parse the URL, authenticate and hand over to the pipeline; errors leave in the endpoint's
 * own format.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { listModels } from '../core/chain.js';
import type { Runtime } from '../core/runtime.js';
import { gatewayError } from '../errors/registry.js';
import { CODECS } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { countTokens } from '../pipeline/count-tokens.js';
import { type ChatResult, proxyChat } from '../pipeline/proxy.js';
import type { Metrics } from '../metrics/registry.js';
import { authenticate } from './auth.js';
import { type ManagementOptions, registerManagement } from './management.js';
import { formatOfUrl, routeFormat, sendError, toGatewayError } from './errors.js';
import { writeStream } from './writer.js';

export interface ServerOptions extends ManagementOptions {
  metrics: Metrics;
  /** The runtime of the config in force; read once per request. */
  runtime: () => Runtime;
  bodyLimit: number;
  logger: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    format?: FormatName;
    /** Client key required (the proxied API). */
    auth?: boolean;
  }
  interface FastifyRequest {
    startedAt: number;
  }
}

type Query = Record<string, string | undefined>;

export function createServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    // The host writes its own access line per request; fastify's two lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // find-my-way would otherwise 404 the Gemini `model:action` segment's trailing variants.
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.decorateRequest('startedAt', 0);

  app.addHook('onRequest', async (request) => {
    request.startedAt = performance.now();
    if (request.routeOptions.config.auth) authenticate(options.runtime().clientKeys, request.headers, request.query as Query);
  });

  app.setErrorHandler((err, request, reply) => {
    // The client left: its request was aborted on purpose and there is no one to answer.
    if (reply.raw.destroyed) return;
    const gerr = toGatewayError(err);
    if (gerr.status >= 500 && gerr.code === 'internal') request.log.error({ err }, 'unhandled error');
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
    serveChat(options.runtime(), format, request, reply, url);

  app.post('/v1/chat/completions', { config: { format: 'openai', auth: true } }, (req, reply) => chat('openai', req, reply));
  app.post('/v1/messages', { config: { format: 'anthropic', auth: true } }, (req, reply) => chat('anthropic', req, reply));
  app.post('/v1/messages/count_tokens', { config: { format: 'anthropic', auth: true } }, async (req, reply) =>
    countTokens(options.runtime(), 'anthropic', req.body, undefined, clientGone(reply.raw)),
  );
  app.post<{ Params: { target: string } }>('/v1beta/models/:target', { config: { format: 'gemini', auth: true } }, async (req, reply) => {
    const { model, action } = splitGeminiTarget(req.params.target);
    switch (action) {
      case 'generateContent':
        return chat('gemini', req, reply, { model, stream: false });
      case 'streamGenerateContent':
        return chat('gemini', req, reply, { model, stream: true });
      case 'countTokens':
        return countTokens(options.runtime(), 'gemini', req.body, model, clientGone(reply.raw));
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
  return { model: decodeURIComponent(target.slice(0, colon)), action: target.slice(colon + 1) };
}

/** An AbortSignal that fires when the client goes away before its answer is fully sent. */
function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  // 'close' fires on disconnect and also after a complete answer; only the former aborts.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

async function serveChat(
  runtime: Runtime,
  format: FormatName,
  request: FastifyRequest,
  reply: FastifyReply,
  url?: { model: string; stream: boolean },
): Promise<unknown> {
  const result: ChatResult = await proxyChat(runtime, {
    requestId: request.id,
    format,
    body: request.body,
    urlModel: url?.model,
    urlStream: url?.stream,
    headers: request.headers,
    signal: clientGone(reply.raw),
    startedAt: request.startedAt,
  });
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
