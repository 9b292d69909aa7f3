/**
 * One host -> plugin call as one piscina task: the JSON-RPC request, the call's MessagePort
 * (stream chunks, `$/cancel`, `host.executeModel`), the host-side deadline and the validation of
 * the answer. The worker runtime (`../worker`) is the other end.
 *
 * @module
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { z } from 'zod';
import { ErrorCodes, Methods } from '../protocol.js';
import { executeModelParamsSchema } from '../schema.js';

/** How a call failed: `error` is the plugin's JSON-RPC error answer, the rest are the host's verdicts. */
export type PluginCallErrorKind = 'error' | 'invalid' | 'timeout' | 'crash' | 'unavailable';

/** JSON-RPC "internal error", for failures that have no code of their own. */
export const INTERNAL_ERROR = -32603;

/** A failed plugin call. `code`: the plugin's code for `error`, `invalidResult` for `invalid`, else -32603. */
export class PluginCallError extends Error {
  /**
   * @param kind - how the call failed
   * @param code - the JSON-RPC error code
   * @param message - what went wrong
   * @param data - the plugin's error `data` (e.g. `{status}` of an upstream-like failure)
   */
  constructor(
    readonly kind: PluginCallErrorKind,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'PluginCallError';
  }
}

/** Per-call options of a plugin call. */
export interface CallOptions {
  /** Overrides the deadline (default: executorTimeout for executor calls, else the item's or global callTimeout). */
  timeoutMs?: number;
  /** Aborting sends `$/cancel` to the handler; the call still ends with the plugin's answer or its deadline. */
  signal?: AbortSignal;
  /** Receives each `stream.chunk` event of `executor.stream`; a throw cancels the call. */
  onChunk?(event: unknown): void;
  /** Answers the plugin's `host.executeModel` requests; a rejection goes back as a JSON-RPC error. */
  onHostRequest?(method: string, params: unknown): Promise<unknown>;
}

/**
 * Calls that come with a port: executors, for their chunks and cancels. A port costs a short
 * call about as much as the call itself, so every other call gets one only if its handler asks
 * for host callbacks: the worker then sends one over `parentPort` ({@link acceptCallPort}).
 *
 * `auth.refresh` gets one too, for its cancels alone: its handler waits on a token endpoint
 * and never asks for host callbacks, so without a port the host's `$/cancel` (the refresher
 * giving the refresh up) would never reach its `ctx.signal`, and the abandoned token request
 * would run on, possibly spending a rotating refresh token nobody will store. A refresh runs
 * once per token lifetime, so the port's cost does not matter there.
 */
const EAGER_PORT = new Set<string>([Methods.executorExecute, Methods.executorStream, Methods.authRefresh]);

/**
 * Portless calls in flight, by JSON-RPC id, waiting for a port their handler may open. Each
 * waits in a slot it empties when it ends: a long-lived Map that gains and loses an entry per
 * call leaves discarded hash tables behind that still hold their entries, and a young-generation
 * GC takes whatever an old-generation table points to as alive. A slot keeps nothing of its call.
 */
const awaitingPort = new Map<number, PortSlot>();
interface PortSlot {
  attach: ((port: MessagePort) => void) | undefined;
}

/**
 * Hands a port a worker opened for a portless call (a `$/callPort` message from `parentPort`)
 * to that call. Returns false for any other message. A port for a call that has ended is closed.
 */
export function acceptCallPort(message: unknown): boolean {
  const m = message as { method?: unknown; params?: { id?: unknown; port?: unknown } } | null;
  if (m?.method !== Methods.callPort) return false;
  const port = m.params?.port as MessagePort | undefined;
  if (!port) return true;
  const attach = typeof m.params?.id === 'number' ? awaitingPort.get(m.params.id)?.attach : undefined;
  if (attach) attach(port);
  else port.close();
  return true;
}
/** setTimeout fires at once beyond this, so longer deadlines are clamped to it. */
const MAX_TIMER = 2 ** 31 - 1;

let nextId = 0;

/** An error's message, prefixed with its code when the message does not already name it. */
export function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/**
 * Runs `method` as one task on `pool` and resolves with the (validated) result. Rejects with a
 * {@link PluginCallError}: `timeout` when `timeoutMs` passes (the task is abandoned, not
 * stopped: the caller must destroy the pool), `crash` when piscina rejects the task (the
 * worker died), `error`/`invalid` for a JSON-RPC error or a result that fails `schema`.
 */
export function runCall(pool: Piscina, method: string, params: unknown, timeoutMs: number, opts: CallOptions, schema?: z.ZodType): Promise<unknown> {
  const id = ++nextId;
  const request = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
  const channel = EAGER_PORT.has(method) ? new MessageChannel() : undefined;
  /** The host's end of the call's callback channel, once there is one. */
  let port: MessagePort | undefined = channel?.port1;
  const slot: PortSlot = { attach: undefined };
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: PluginCallError | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!channel) {
        slot.attach = undefined;
        awaitingPort.delete(id);
      }
      if (port) {
        // The answer came on piscina's port, so chunks posted just before it may still be queued on ours.
        for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) onPortMessage(port, m.message, opts);
        port.close();
      }
      if (err) reject(err);
      else resolve(value);
    };
    const expired = () => finish(new PluginCallError('timeout', INTERNAL_ERROR, `deadline exceeded (${timeoutMs}ms) in ${method}`));
    const timer = setTimeout(expired, Math.min(timeoutMs, MAX_TIMER));
    const onAbort = () => port?.postMessage({ jsonrpc: '2.0', method: Methods.cancel });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const listen = (p: MessagePort) => {
      port = p;
      p.on('message', (msg: unknown) => onPortMessage(p, msg, opts));
      if (opts.signal?.aborted) onAbort();
    };
    if (channel) listen(channel.port1);
    else {
      slot.attach = listen;
      awaitingPort.set(id, slot);
    }
    const task = channel ? { request, port: channel.port2 } : { request };
    pool.run(task, { transferList: channel ? [channel.port2] : [] }).then(
      (response: unknown) => finish(...interpret(method, response, schema)),
      (err: unknown) => finish(new PluginCallError('crash', INTERNAL_ERROR, describe(err))),
    );
  });
}

function interpret(method: string, response: unknown, schema?: z.ZodType): [PluginCallError | undefined, unknown?] {
  const r = response as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } } | null;
  if (r?.error) {
    const code = typeof r.error.code === 'number' ? r.error.code : INTERNAL_ERROR;
    return [new PluginCallError('error', code, String(r.error.message ?? 'plugin error'), r.error.data)];
  }
  const parsed = r !== null && typeof r === 'object' && 'result' in r ? (schema?.safeParse(r.result) ?? { success: true as const, data: r.result }) : undefined;
  if (parsed?.success) return [undefined, parsed.data];
  const why = parsed ? parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') : 'no JSON-RPC response';
  return [new PluginCallError('invalid', ErrorCodes.invalidResult, `invalid ${method} result: ${why}`)];
}

/** Worker -> host traffic on a call's port: stream chunks and `host.executeModel` requests. */
function onPortMessage(port: MessagePort, msg: unknown, opts: CallOptions): void {
  const m = msg as { id?: string | number | null; method?: unknown; params?: { event?: unknown } } | null;
  if (m?.method === Methods.streamChunk) {
    try {
      opts.onChunk?.(m.params?.event);
    } catch {
      // A consumer that cannot take a chunk cannot take the rest: stop the handler.
      port.postMessage({ jsonrpc: '2.0', method: Methods.cancel });
    }
    return;
  }
  // Only requests are answered: the host sends the worker no requests, so it sends no responses.
  if (typeof m?.method !== 'string' || m.id === undefined || m.id === null) return;
  // Posting on a port closed because the call settled meanwhile is a no-op, as it should be.
  const answer = (body: object) => port.postMessage({ jsonrpc: '2.0', id: m.id, ...body });
  if (m.method !== Methods.executeModel || !opts.onHostRequest) {
    return answer({ error: { code: -32601, message: `${m.method} is not available in this call` } });
  }
  const params = executeModelParamsSchema.safeParse(m.params);
  if (!params.success) return answer({ error: { code: -32602, message: `invalid ${Methods.executeModel} params: ${params.error.issues[0]?.message}` } });
  opts.onHostRequest(m.method, params.data).then(
    (result) => answer({ result }),
    (err: unknown) => {
      const code = (err as { code?: unknown } | null)?.code;
      answer({ error: { code: typeof code === 'number' ? code : INTERNAL_ERROR, message: describe(err) } });
    },
  );
}
