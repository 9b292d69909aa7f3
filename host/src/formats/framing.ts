/**
 * The two stream framings the formats use: server-sent events (OpenAI, Anthropic, Gemini with
 * `alt=sse`) and Gemini's JSON array (`[a,b,...]`, its default stream).
 *
 * @module
 */
import type { SseEvent, StreamFraming, WireEvent } from './wire-format.js';

function serialise(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** Server-sent events; an event marked `raw` is written as it is, with no SSE framing. */
export const SSE_FRAMING: StreamFraming = {
  headers: {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  },
  frame(event: WireEvent): string {
    const data = serialise(event.data);
    if (event.raw) return data;
    return event.event ? `event: ${event.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
  },
  end: () => '',
};

/** A JSON array of event bodies, written as they come; raw events are SSE-only and left out. */
export const JSON_ARRAY_FRAMING: StreamFraming = {
  headers: { 'content-type': 'application/json' },
  frame(event: WireEvent, index: number): string | undefined {
    if (event.raw) return undefined;
    return `${index === 0 ? '[' : ',\r\n'}${serialise(event.data)}`;
  },
  end: (count) => (count === 0 ? '[]' : ']'),
};

/** An executor plugin's event as an SSE event named by its own `type` (Anthropic, Responses), whose decoders read the name. */
export function typedEvent(event: unknown): SseEvent {
  const data = serialise(event);
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? { event: type, data } : { data };
}

/** An executor plugin's event as an unnamed SSE event (OpenAI Chat, Gemini). */
export function plainEvent(event: unknown): SseEvent {
  return { data: serialise(event) };
}
