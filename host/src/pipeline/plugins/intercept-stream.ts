/**
 * The stream interceptors: each event of a successful stream goes through every active stream
 * interceptor in priority order, which may keep, replace or drop it. Events travel in batches
 * (the events of one upstream read): one worker call per plugin per batch, `stream.interceptBatch`
 * for plugins of protocol 1.2 on (their texts as one string from 1.3), per-event
 * `stream.intercept` calls for older ones. A stream's ending is never dropped, raw transport
 * frames skip the interceptors, and a failing interceptor leaves the events it failed on as
 * they were.
 *
 * @module
 */
import semver from 'semver';
import { type BatchEvent, Methods, type PackedEvents, type StreamInterceptBatchEntry, type StreamInterceptBatchResult } from '@switchyard/plugin-sdk';
import type { WireEvent } from '../../formats/wire-format.js';
import { type Flow, mapAsync } from '../../streams/flow.js';
import type { FormatName } from '../../formats/ir.js';
import type { ActivePlugin, CallOptions, PluginDirectory } from './directory.js';
import { dispatch } from './dispatch.js';

/** The stream every interceptor call names. */
export interface StreamMeta {
  requestId: string;
  sourceFormat: FormatName;
}

/** Events that may wait for the interceptor call under way before the stream pauses. */
const STREAM_WAITING = 1024;

/** How a plugin takes a batch: one call with the events one by one (1.2) or as one text (1.3), or a call per event (older). */
type BatchForm = 'packed' | 'events' | 'single';

/** Protocol versions seen so far, with the batch form each takes (semver parses its range on every call, ~25 µs). */
const batchForms = new Map<string, BatchForm>();

function batchForm(protocol: string): BatchForm {
  let form = batchForms.get(protocol);
  if (form === undefined) {
    form = semver.satisfies(protocol, '>=1.3.0') ? 'packed' : semver.satisfies(protocol, '>=1.2.0') ? 'events' : 'single';
    batchForms.set(protocol, form);
  }
  return form;
}

/**
 * Passes a stream's batches through the stream interceptors, one interception at a time per
 * stream: events that arrive while one is under way go together in the next. A stream pays one
 * call per plugin per burst of upstream reads, never more than one per read, and its events
 * leave in order.
 */
export function interceptStream(plugins: PluginDirectory, events: Flow<WireEvent>, meta: StreamMeta): Flow<WireEvent> {
  return mapAsync(events, (items, first) => interceptBatch(plugins, items, meta, first), STREAM_WAITING);
}

/** An event on its way through the interceptors, with its index in the client stream. */
interface Slot {
  index: number;
  event: WireEvent;
}

/** Ends an interceptor run: every event was dropped, so the next interceptors have nothing to see. */
const ALL_DROPPED = Symbol('all dropped');

/**
 * Runs `events` (consecutive events of one stream, the first at `firstIndex`) through every
 * active stream interceptor, in priority order, with one call per plugin for the whole batch;
 * resolves with what is left, in order. Each event keeps its index in the client stream: an
 * event dropped by one interceptor leaves a gap the next ones see. Raw frames pass around the
 * interceptors and keep their place. A plugin whose call fails (throws, times out, is fused)
 * passes every event on as it was; one whose handler failed on a single event passes that one.
 */
export async function interceptBatch(plugins: PluginDirectory, events: readonly WireEvent[], meta: StreamMeta, firstIndex: number): Promise<WireEvent[]> {
  // Read once per batch: a plugin fused while the batch is under way fails its call instead.
  const interceptors = plugins.active('streamInterceptor');
  if (interceptors.length === 0 || events.every((event) => event.raw)) return [...events];
  let slots: Slot[] = [];
  for (const [i, event] of events.entries()) if (!event.raw) slots.push({ index: firstIndex + i, event });
  await dispatch(interceptors, {}, {
    call: (plugin, options) => intercept(plugin, slots, meta, options),
    answer(_plugin, answers: StreamInterceptBatchResult) {
      slots = applyAnswers(slots, answers);
      return slots.length === 0 ? ALL_DROPPED : undefined;
    },
  });
  const out: WireEvent[] = [];
  let kept = 0;
  for (const [i, event] of events.entries()) {
    if (event.raw) out.push(event);
    else if (slots[kept]?.index === firstIndex + i) out.push(slots[kept++].event);
  }
  return out;
}

/** One plugin's answers for `slots`, one per event, in order. */
function intercept(plugin: ActivePlugin, slots: readonly Slot[], meta: StreamMeta, options: CallOptions): Promise<StreamInterceptBatchResult> {
  const form = batchForm(plugin.protocol ?? '0.0.0');
  if (form !== 'single') {
    const first = slots[0]!.index;
    // Indices are implied unless a drop or a raw frame left a gap.
    const consecutive = slots.every((slot, i) => slot.index === first + i);
    const indices = consecutive ? {} : { indices: slots.map((slot) => slot.index) };
    const packed = form === 'packed' ? pack(slots) : undefined;
    const events = packed ? { packed } : { events: slots.map((slot) => batchEvent(slot.event)) };
    return plugin.call(Methods.streamInterceptBatch, { ...meta, index: first, ...events, ...indices }, options);
  }
  // An older plugin serves one event per call: all sent at once, each failure that event's alone.
  return Promise.all(
    slots.map(({ index, event }) =>
      plugin.call(Methods.streamIntercept, { ...meta, index, event: asObjectEvent(event) }, options).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
    ),
  );
}

/** The slots' events as one text (protocol 1.3), when every event's data is a string: a same-format stream's JSON texts, `[DONE]`. */
function pack(slots: readonly Slot[]): PackedEvents | undefined {
  let text = '';
  const ends: number[] = [];
  let names: (string | null)[] | undefined;
  for (let i = 0; i < slots.length; i++) {
    const { data, event } = slots[i]!.event;
    if (typeof data !== 'string') return undefined;
    text += data;
    ends.push(text.length);
    if (event !== undefined) (names ??= new Array<string | null>(i).fill(null)).push(event);
    else names?.push(null);
  }
  return names ? { text, ends, names } : { text, ends };
}

/** What `answers` leave of `slots`: `slots` itself when every event was kept as it was (the usual answer). */
function applyAnswers(slots: Slot[], answers: StreamInterceptBatchResult): Slot[] {
  let changed: Slot[] | undefined;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    const left = applied(slot, answers[i]!);
    if (left !== slot) changed ??= slots.slice(0, i);
    if (changed && left) changed.push(left);
  }
  return changed ?? slots;
}

/** What one answer leaves of an event: itself (no change, or the handler failed on it), its replacement, or nothing. */
function applied(slot: Slot, answer: StreamInterceptBatchEntry): Slot | undefined {
  if (answer === null || 'error' in answer) return slot;
  // A stream's ending is not an interceptor's to drop: the client would get no end at all.
  if ('drop' in answer) return isTerminal(slot.event) ? slot : undefined;
  return { index: slot.index, event: answer.event };
}

/** Event types that end a stream, for good or with an error, in each format. */
const TERMINAL_TYPES = new Set(['message_stop', 'response.completed', 'response.failed', 'response.incomplete', 'error']);

/** Whether `event` ends its stream: OpenAI's `[DONE]` or error chunk, Anthropic's `message_stop` or `error`, Responses' final events. */
function isTerminal(event: WireEvent): boolean {
  if (event.event !== undefined && TERMINAL_TYPES.has(event.event)) return true;
  const { data } = asObjectEvent(event);
  // A string that is not JSON is OpenAI's `[DONE]` or text.
  if (typeof data === 'string') return data === '[DONE]';
  const record = data as { type?: unknown; error?: unknown } | null;
  return record !== null && typeof record === 'object' && ((typeof record.type === 'string' && TERMINAL_TYPES.has(record.type)) || record.error !== undefined);
}

/**
 * How a batch carries an event: a JSON object's text (a passed-through event's) as `json`, which the worker
 * parses only if its handler reads the data; an event the plugin keeps then leaves as the same
 * text, never parsed or re-serialised.
 */
function batchEvent(event: WireEvent): BatchEvent {
  const { data } = event;
  if (typeof data !== 'string' || data[0] !== '{') return event.event === undefined ? { data } : { event: event.event, data };
  return event.event === undefined ? { json: data } : { event: event.event, json: data };
}

/**
 * Plugins see the client-format event as an object: a passed-through event still holds its
 * JSON text, parsed here for a plugin of protocol 1.1 (one of 1.2 parses it in its worker).
 */
function asObjectEvent(event: WireEvent): WireEvent {
  if (typeof event.data !== 'string' || (event.data[0] !== '{' && event.data[0] !== '[')) return event;
  try {
    return { event: event.event, data: JSON.parse(event.data) };
  } catch {
    return event;
  }
}
