/**
 * The mock upstream's HTTP server: routes each request to its format module (Vertex AI's
 * routes to `vertex.ts`, which answers in two of the formats), records it,
 * applies the first matching {@link Fault}, and writes the reply — honouring the delays, cuts and
 * hangs that integration tests use to exercise the gateway's retries, timeouts and fallbacks.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openai } from './openai.js';
import type { Fault, FormatSpec, MockFormat, MockUpstream, RecordedRequest, Reply } from './types.js';
import { vertex } from './vertex.js';

/** One spec per format, whose prefix is that format's `baseUrl`. */
const FORMATS: FormatSpec[] = [openai, anthropic, gemini];
const SPECS: FormatSpec[] = [...FORMATS, vertex];

/** A registered fault with its own countdown, so the caller's object is never mutated. */
type ActiveFault = Fault & { left: number };

/** How to write one reply. */
interface WritePlan {
  headerDelayMs: number;
  chunkDelayMs: number;
  /** Drop the connection after this many stream events (or half a JSON body); undefined writes it all. */
  cutAfter: number | undefined;
}

/** Per-response state: whether the mock itself dropped the socket, which is not a client abort. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  selfDestroyed: boolean;
}

function defaultModels(): Record<MockFormat, string[]> {
  return {
    openai: ['gpt-4.1', 'gpt-4.1-mini'],
    anthropic: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
    gemini: ['gemini-2.5-pro', 'gemini-2.5-flash'],
  };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Waits `ms`, returning early when the connection closes so aborted requests do not linger. */
function pause(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

function writeChunk(res: ServerResponse, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => res.write(data, () => resolve()));
}

/** Drops the connection after what was written so far has been flushed, with no HTTP ending. */
function cut(ex: Exchange): void {
  ex.selfDestroyed = true;
  const socket = ex.req.socket;
  socket.end(() => socket.destroy());
}

async function write(ex: Exchange, reply: Reply, plan: WritePlan): Promise<void> {
  const { res } = ex;
  await pause(plan.headerDelayMs, res);
  if (res.destroyed) return;
  if (reply.kind === 'json') {
    const bytes = Buffer.from(JSON.stringify(reply.body));
    // The full length is declared even when cutting, so the client sees a truncated body.
    res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json', 'content-length': bytes.length });
    if (plan.cutAfter === undefined) return void res.end(bytes);
    await writeChunk(res, bytes.subarray(0, Math.floor(bytes.length / 2)));
    return cut(ex);
  }
  res.writeHead(200, reply.headers);
  res.flushHeaders();
  const frames = reply.frames.slice(0, plan.cutAfter ?? reply.frames.length);
  for (const [i, frame] of frames.entries()) {
    if (i > 0) await pause(plan.chunkDelayMs, res);
    if (res.destroyed) return;
    await writeChunk(res, frame);
  }
  if (plan.cutAfter === undefined) res.end();
  else cut(ex);
}

/** Each key's budget window: what is left and when the window ends. */
type Windows = Map<string, { left: number; endsAt: number }>;

/** Spends one request of `key`'s budget: what remains after it (-1: none was left) and the time to the window's end. */
function spend(windows: Windows, key: string, budget: { requests: number; windowMs: number }): { remaining: number; resetInMs: number } {
  const now = Date.now();
  let window = windows.get(key);
  if (!window || now >= window.endsAt) windows.set(key, (window = { left: budget.requests, endsAt: now + budget.windowMs }));
  const resetInMs = window.endsAt - now;
  if (window.left <= 0) return { remaining: -1, resetInMs };
  window.left--;
  return { remaining: window.left, resetInMs };
}

/** The format's rate-limit headers for a request budget. */
function limitHeaders(format: MockFormat, limit: number, remaining: number, resetInMs: number): Record<string, string> {
  if (format === 'anthropic') {
    return {
      'anthropic-ratelimit-requests-limit': String(limit),
      'anthropic-ratelimit-requests-remaining': String(remaining),
      'anthropic-ratelimit-requests-reset': new Date(Date.now() + resetInMs).toISOString(),
    };
  }
  if (format === 'gemini') return {};
  return { 'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': `${resetInMs}ms` };
}

/**
 * Starts a mock of the OpenAI, Anthropic and Gemini APIs, and of Vertex AI serving Gemini and
 * Claude models, on 127.0.0.1 at a free port.
 *
 * @param options.chunkDelayMs - pause between streamed chunks (default 0); a `slow` fault overrides it
 * @param options.record - keep every request in `requests` (default true); the bench's long-lived
 *   mock serves millions and keeps none
 */
export async function startMockUpstream(options: { chunkDelayMs?: number; record?: boolean } = {}): Promise<MockUpstream> {
  const windows: Windows = new Map();
  /** Requests seen since the start or the last reset: they number the ids of the answers. */
  let served = 0;
  let faults: ActiveFault[] = [];
  // Connections dropped by close() were not given up by their clients.
  let closing = false;
  const sockets = new Set<Socket>();

  /** Finds the first fault matching the request and counts one use of it. */
  function takeFault(rec: RecordedRequest): Fault | undefined {
    const fault = faults.find(
      (f) =>
        (f.format === undefined || f.format === rec.format) &&
        (f.key === undefined || f.key === rec.apiKey) &&
        (f.model === undefined || f.model === rec.model),
    );
    if (fault !== undefined && --fault.left <= 0) faults = faults.filter((f) => f !== fault);
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const spec = SPECS.find((s) => url.pathname.startsWith(`${s.prefix}/`));
    if (spec === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: `no mock route for ${method} ${url.pathname}` } }));
    }
    const query = Object.fromEntries(url.searchParams);
    const headers = flattenHeaders(req);
    let body: any;
    let badJson = false;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      badJson = true;
    }
    const route = spec.route(method, url.pathname.slice(spec.prefix.length), body, query);
    const format = route?.format ?? spec.format;
    const rec: RecordedRequest = {
      format,
      method,
      path: url.pathname,
      query,
      headers,
      apiKey: spec.apiKey(headers, query),
      at: Date.now(),
      body,
      rawBody: raw,
      model: route?.model ?? (typeof body?.model === 'string' ? body.model : undefined),
      stream: route?.stream ?? false,
      project: route?.project,
      location: route?.location,
      aborted: false,
      finished: false,
    };
    if (options.record !== false) mock.requests.push(rec);
    const seq = ++served;
    const error = (status: number, message: string) => spec.error(status, message, seq, route);
    const ex: Exchange = { req, res, selfDestroyed: false };
    res.on('finish', () => (rec.finished = true));
    res.on('close', () => {
      if (!res.writableFinished && !ex.selfDestroyed && !closing) rec.aborted = true;
    });
    // The client may have gone while the body was read, before the listener above existed.
    if (res.destroyed) rec.aborted = true;
    const plan: WritePlan = { headerDelayMs: 0, chunkDelayMs: options.chunkDelayMs ?? 0, cutAfter: undefined };
    if (route === undefined) return write(ex, error(404, `no route for ${method} ${url.pathname}`), plan);

    const fault = takeFault(rec);
    if (fault?.kind === 'reset') {
      ex.selfDestroyed = true;
      return void req.socket.resetAndDestroy();
    }
    if (fault?.kind === 'slow') plan.headerDelayMs = plan.chunkDelayMs = fault.delayMs ?? 0;
    if (fault?.kind === 'cut') plan.cutAfter = fault.afterChunks ?? 2;

    let reply: Reply;
    let budgetLeft: { remaining: number; resetInMs: number } | undefined;
    if (fault?.kind === 'status') {
      const status = fault.status ?? 500;
      reply = error(status, fault.message ?? `mock fault ${status}`);
      // A real upstream's own error body, as it sends it (the failure table's fixtures).
      if (fault.body !== undefined && reply.kind === 'json') reply = { ...reply, body: fault.body };
      if (fault.retryAfter !== undefined) reply.headers = { ...reply.headers, 'retry-after': fault.retryAfter };
    } else if (rec.apiKey === undefined) {
      reply = error(401, spec.missingKeyMessage);
    } else if (mock.authorize && !mock.authorize(rec.apiKey)) {
      mock.refused.push(rec);
      reply = error(401, 'The access token is expired or invalid.');
    } else if (mock.budget && (budgetLeft = spend(windows, rec.apiKey, mock.budget)).remaining < 0) {
      mock.overBudget.push(rec);
      reply = error(429, 'Rate limit reached for requests (mock budget).');
      reply.headers = { ...reply.headers, 'retry-after': String(Math.ceil(budgetLeft.resetInMs / 1000)), ...limitHeaders(format, mock.budget.requests, 0, budgetLeft.resetInMs) };
    } else if (badJson) {
      reply = error(400, 'The request body is not valid JSON.');
    } else {
      reply = route.respond({ body, headers, query, seq, models: mock.models[format] });
    }
    if (budgetLeft && budgetLeft.remaining >= 0) reply.headers = { ...reply.headers, ...limitHeaders(format, mock.budget!.requests, budgetLeft.remaining, budgetLeft.resetInMs) };
    const extra = mock.responseHeaders?.(rec);
    if (extra) reply.headers = { ...reply.headers, ...extra };
    if (fault?.kind === 'hang') {
      // A stream that hangs has started: headers out, then silence until the client gives up.
      if (reply.kind === 'stream') {
        res.writeHead(200, reply.headers);
        res.flushHeaders();
      }
      return;
    }
    return write(ex, reply, plan);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the mock must surface in the test, not as a hung request.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `mock upstream error: ${String(err)}` } }));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mock upstream: no TCP address');
  const url = `http://127.0.0.1:${address.port}`;

  // Handlers read `mock.requests` and `mock.models` so tests may replace either, not only mutate them.
  const mock: MockUpstream = {
    url,
    baseUrl: (format) => `${url}${FORMATS.find((s) => s.format === format)?.prefix ?? ''}`,
    vertexBaseUrl: `${url}${vertex.prefix}`,
    requests: [],
    refused: [],
    overBudget: [],
    models: defaultModels(),
    fault(f) {
      if (f.times === undefined || f.times > 0) faults.push({ ...f, left: f.times ?? Infinity });
    },
    clearFaults: () => void (faults = []),
    reset() {
      served = 0;
      mock.requests.length = 0;
      mock.refused.length = 0;
      mock.authorize = undefined;
      mock.responseHeaders = undefined;
      mock.budget = undefined;
      mock.overBudget.length = 0;
      windows.clear();
      faults = [];
    },
    openConnections: () => sockets.size,
    async waitFor(pred, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(mock.requests)) {
        if (Date.now() > deadline) throw new Error(`mock upstream: condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((err) => (err ? reject(err) : resolve()));
        // Hanging requests would otherwise keep close() waiting forever.
        server.closeAllConnections();
      }),
  };
  return mock;
}
