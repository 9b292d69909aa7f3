/**
 * Test harness: the real worker runtime in a real piscina pool, configured the way the host
 * configures plugin pools, with the test playing the host.
 */
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { JSONRPCErrorResponse, JSONRPCResponse, JSONRPCSuccessResponse } from 'json-rpc-2.0';
import { Piscina } from 'piscina';
import type { LogParams, WorkerData } from '../schema.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = new URL('./fixtures/', import.meta.url);
const started: Piscina[] = [];
let nextId = 1;

/** Compiles the SDK: the pool runs dist/worker/entry.js through fixtures/bootstrap.cjs. */
export function buildSdk(): void {
  execSync('npx tsc -b plugin-sdk', { cwd: repoRoot, stdio: 'pipe' });
}

/** A pool plus everything it emitted. */
export interface TestPool {
  pool: Piscina;
  /** `host.log` params, in arrival order. */
  logs: LogParams[];
  /** The pool's 'error' events (a worker that failed to start). */
  errors: unknown[];
}

/** Starts a pool serving `fixtures/<fixture>` with the host's pool settings. */
export function startPool(fixture: string, options: { threads?: number; config?: unknown; env?: Record<string, string> } = {}): TestPool {
  const threads = options.threads ?? 1;
  const workerData: WorkerData = { pluginId: fixture.replace(/\.mjs$/, ''), entry: new URL(fixture, fixtures).href, config: options.config ?? {} };
  const pool = new Piscina({
    filename: fileURLToPath(new URL('bootstrap.cjs', fixtures)),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    atomics: 'disabled',
    concurrentTasksPerWorker: 32,
    maxQueue: 256,
    env: options.env ?? {},
    resourceLimits: { maxOldGenerationSizeMb: 128 },
    workerData,
  });
  const result: TestPool = { pool, logs: [], errors: [] };
  pool.on('message', (message: { method?: string; params: LogParams }) => {
    if (message.method === 'host.log') result.logs.push(message.params);
  });
  pool.on('error', (error: unknown) => result.errors.push(error));
  started.push(pool);
  return result;
}

/** Destroys every pool started so far. */
export async function destroyPools(): Promise<void> {
  await Promise.all(started.splice(0).map((pool) => pool.destroy()));
}

function request(method: string, params?: unknown) {
  return { jsonrpc: '2.0' as const, id: nextId++, method, params };
}

/** Makes a call without a port (like `stream.intercept`, `$/ping`, `plugin.register`). */
export function call(pool: Piscina, method: string, params?: unknown): Promise<JSONRPCResponse> {
  return pool.run({ request: request(method, params) });
}

/** A message on a call's port, as the test (playing the host) sees it. */
export interface PortMessage {
  id?: number;
  method?: string;
  params?: unknown;
}

/**
 * Makes a call with a callback port. `host` gets the host's end of the port as the call starts,
 * to answer or cancel; every message the worker posted on it is returned, including ones still
 * queued when the answer came.
 */
export async function callWithPort(
  pool: Piscina,
  method: string,
  params: unknown,
  host: (port: MessagePort) => void = () => {},
): Promise<{ response: JSONRPCResponse; messages: PortMessage[] }> {
  const { port1, port2 } = new MessageChannel();
  const messages: PortMessage[] = [];
  port1.on('message', (message: PortMessage) => messages.push(message));
  host(port1);
  try {
    const response: JSONRPCResponse = await pool.run({ request: request(method, params), port: port2 }, { transferList: [port2] });
    // Chunks travel on another port than the answer: take what is still queued, as the host must.
    for (let queued = receiveMessageOnPort(port1); queued; queued = receiveMessageOnPort(port1)) messages.push(queued.message);
    return { response, messages };
  } finally {
    port1.close();
  }
}

/** The result of a success response (fails the test otherwise). */
export function resultOf(response: JSONRPCResponse): unknown {
  if (response.error) throw new Error(`expected a result, got error ${response.error.code}: ${response.error.message}`);
  return (response as JSONRPCSuccessResponse).result;
}

/** The error of an error response (fails the test otherwise). */
export function errorOf(response: JSONRPCResponse): JSONRPCErrorResponse['error'] {
  if (!response.error) throw new Error(`expected an error, got result ${JSON.stringify(response.result)}`);
  return response.error;
}

/** Polls `check` until it returns true (for notifications that arrive after the answer). */
export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A valid `model.route` request for `requestedModel`. */
export function routeRequest(requestedModel: string) {
  return { requestId: 'r1', sourceFormat: 'openai', requestedModel, stream: false, headers: {}, query: {}, body: {}, availableProviders: [] };
}

/** A valid executor request for `model`. */
export function executorRequest(model: string, stream = false) {
  return { requestId: 'r1', model, requestedModel: model, stream, body: { q: 1 }, headers: {} };
}
