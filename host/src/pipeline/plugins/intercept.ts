/**
 * The interceptor capabilities. Request interceptors chain in priority order, each seeing what
 * the one before left: headers merge (a null value deletes), a body replaces, a reject ends the
 * request with the plugin's reply. A throwing interceptor is skipped, unless its config says
 * `failClosed`: then the request fails with 503. Response and stream interceptors work the same
 * way on successful answers; their failures are always skipped.
 *
 * @module
 */
import type { InterceptorPhase, RequestInterceptParams, StreamInterceptResult } from '@switchyard/plugin-sdk';
import { InterceptedReply, gatewayError } from '../../errors/registry.js';
import type { WireEvent } from '../../formats/wire-format.js';
import type { FormatName } from '../../formats/ir.js';
import type { PluginDirectory } from './directory.js';
import { describeChanges } from './changes.js';
import { type CallScope, dispatch } from './dispatch.js';

export interface Intercepted {
  headers: Record<string, string>;
  body: unknown;
  /** True when some interceptor replaced the body. */
  bodyChanged: boolean;
}

/** Runs the request interceptors of `phase` over headers and body. Throws InterceptedReply or 503. */
export async function interceptRequest(
  plugins: PluginDirectory,
  phase: InterceptorPhase,
  request: Omit<RequestInterceptParams, 'phase'>,
  scope: CallScope,
): Promise<Intercepted> {
  if (phase === 'beforeAuth') {
    const down = plugins.failClosedDown();
    if (down.length > 0) throw gatewayError('unavailable', `fail-closed plugin${down.length > 1 ? 's' : ''} ${down.join(', ')} cannot run; requests are refused until ${down.length > 1 ? 'they recover' : 'it recovers'}`);
  }
  const out: Intercepted = { headers: request.headers, body: request.body, bodyChanged: false };
  const interceptors = plugins.active('requestInterceptor').filter((p) => p.interceptorPhase === phase);
  await dispatch(interceptors, scope, {
    stage: phase,
    call: (plugin, opts) => plugin.call('request.intercept', { ...request, phase, headers: out.headers, body: out.body }, opts),
    describe: (_plugin, answer) => {
      if (answer === null) return 'passed';
      if ('reject' in answer) return `rejected: ${answer.reject.status}`;
      return describeChanges(answer.headers, out.body, answer.body, answer.body !== undefined);
    },
    answer(plugin, answer) {
      if (answer === null) return undefined;
      if ('reject' in answer) throw new InterceptedReply(plugin.id, answer.reject);
      if (answer.headers) out.headers = mergeHeaders(out.headers, answer.headers);
      if (answer.body !== undefined) {
        out.body = answer.body;
        out.bodyChanged = true;
      }
      return undefined;
    },
    failed(plugin, err) {
      if (plugin.failClosed) throw gatewayError('unavailable', `interceptor ${plugin.id} failed and is fail-closed: ${(err as Error).message}`);
    },
  });
  return out;
}

/** Runs the response interceptors over a successful non-stream answer; a failing one leaves the answer as it was. */
export async function interceptResponse(
  plugins: PluginDirectory,
  response: { requestId: string; sourceFormat: FormatName; model: string; provider: string; status: number; headers: Record<string, string>; body: unknown },
  scope: CallScope,
): Promise<{ headers: Record<string, string>; body: unknown }> {
  let { headers, body } = response;
  await dispatch(plugins.active('responseInterceptor'), scope, {
    stage: 'response',
    call: (plugin, opts) => plugin.call('response.intercept', { ...response, headers, body }, opts),
    describe: (_plugin, answer) => (answer === null ? 'passed' : describeChanges(answer.headers, body, answer.body, answer.body !== undefined)),
    answer(_plugin, answer) {
      if (answer === null) return undefined;
      if (answer.headers) headers = mergeHeaders(headers, answer.headers);
      if (answer.body !== undefined) body = answer.body;
      return undefined;
    },
  });
  return { headers, body };
}

/** Stream events whose interception may be under way at once. */
const STREAM_WINDOW = 32;

/**
 * Passes each stream event through the stream interceptors: replace, drop or keep. Events are
 * pipelined: each one's interception starts as soon as it arrives, while earlier ones are still
 * in a worker, and results leave in order. A long stream pays one worker round trip of latency,
 * not one per event.
 */
export async function* interceptStream(
  plugins: PluginDirectory,
  events: AsyncIterable<WireEvent>,
  meta: { requestId: string; sourceFormat: FormatName },
): AsyncGenerator<WireEvent> {
  const source = events[Symbol.asyncIterator]();
  const pending: Promise<WireEvent | undefined>[] = [];
  let next: Promise<IteratorResult<WireEvent>> | undefined;
  let done = false;
  let index = 0;
  try {
    while (!done || pending.length > 0) {
      if (!done && pending.length < STREAM_WINDOW) {
        next ??= source.next();
        // With nothing in flight, wait for the source; else take whichever settles first.
        const first = pending.length === 0 ? 'source' : await Promise.race([next.then(() => 'source' as const), pending[0]!.then(() => 'head' as const)]);
        if (first === 'source') {
          const result = await next;
          next = undefined;
          if (result.done) done = true;
          else pending.push(interceptEvent(plugins, result.value, meta, index++));
          continue;
        }
      }
      const event = await pending.shift()!;
      if (event) yield event;
    }
  } finally {
    await source.return?.();
  }
}

/** Ends a stream interceptor run: the event is dropped. */
const DROP = Symbol('drop');

/** One event through every stream interceptor, in priority order; a failing one passes it on as it was. */
async function interceptEvent(
  plugins: PluginDirectory,
  original: WireEvent,
  meta: { requestId: string; sourceFormat: FormatName },
  index: number,
): Promise<WireEvent | undefined> {
  // Raw frames are transport, not events. Read the list per event: a plugin fused mid-stream leaves at once.
  const interceptors = original.raw ? [] : plugins.active('streamInterceptor');
  if (interceptors.length === 0) return original;
  let event: WireEvent = asObjectEvent(original);
  const ended = await dispatch(interceptors, {}, {
    call: (plugin, opts) => plugin.call('stream.intercept', { ...meta, index, event }, opts),
    answer(_plugin, answer: StreamInterceptResult) {
      if (answer === null) return undefined;
      // A stream's ending is not an interceptor's to drop: the client would get no end at all.
      if ('drop' in answer) return isTerminal(event) ? undefined : DROP;
      event = answer.event;
      return undefined;
    },
  });
  return ended === DROP ? undefined : event;
}

/** Event types that end a stream, for good or with an error, in each format. */
const TERMINAL_TYPES = new Set(['message_stop', 'response.completed', 'response.failed', 'response.incomplete', 'error']);

/** Whether `event` ends its stream: OpenAI's `[DONE]` or error chunk, Anthropic's `message_stop` or `error`, Responses' final events. */
function isTerminal(event: WireEvent): boolean {
  if (event.event !== undefined && TERMINAL_TYPES.has(event.event)) return true;
  const { data } = event;
  // Data arrives parsed (see asObjectEvent); a string left is OpenAI's `[DONE]` or text.
  if (typeof data === 'string') return data === '[DONE]';
  const record = data as { type?: unknown; error?: unknown } | null;
  return record !== null && typeof record === 'object' && ((typeof record.type === 'string' && TERMINAL_TYPES.has(record.type)) || record.error !== undefined);
}

/**
 * Plugins see the client-format event as an object: a passed-through event still holds its
 * JSON text, parsed here only when an interceptor is there to read it.
 */
function asObjectEvent(event: WireEvent): WireEvent {
  if (typeof event.data !== 'string' || (event.data[0] !== '{' && event.data[0] !== '[')) return event;
  try {
    return { event: event.event, data: JSON.parse(event.data) };
  } catch {
    return event;
  }
}

/** `base` with `changes` applied: a string sets a header, null deletes it. Names are lower-cased. */
export function mergeHeaders(base: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const out = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    const key = name.toLowerCase();
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}
