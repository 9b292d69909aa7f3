/**
 * The live event stream (`GET /v0/management/events`), one connection for the whole console.
 * Read with fetch() and a ReadableStream rather than EventSource, because EventSource cannot
 * send the Authorization header. Pages subscribe to the event types they show; the stream
 * reconnects after a drop and stops for good on a 401 (the key was refused: back to login).
 *
 * @module
 */
import { ApiError, storedKey } from './api';

export type EventType = 'request' | 'credential' | 'plugin';
type Listener = (data: unknown) => void;
type StatusListener = (connected: boolean) => void;

const listeners = new Map<EventType, Set<Listener>>();
const statusListeners = new Set<StatusListener>();
let abort: AbortController | null = null;
let connected = false;
let onRefused: (err: ApiError) => void = () => {};
/** Wait before reconnecting after a drop: doubled per failed try, reset once connected. */
let backoffMs = 1000;

function setConnected(value: boolean): void {
  if (value === connected) return;
  connected = value;
  for (const listener of statusListeners) listener(value);
}

/** Calls `listener` with each event of `type`; returns the unsubscribe function. */
export function subscribe(type: EventType, listener: Listener): () => void {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Calls `listener` when the stream connects or drops (and once now). */
export function subscribeStatus(listener: StatusListener): () => void {
  statusListeners.add(listener);
  listener(connected);
  return () => statusListeners.delete(listener);
}

/** Splits SSE text into frames and hands each complete `event:`/`data:` pair to its listeners. */
function dispatch(frame: string): void {
  let type = 'message';
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith(':')) continue; // comment: `: ping` keep-alives
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  const set = listeners.get(type as EventType);
  if (!set?.size) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.join('\n'));
  } catch {
    return;
  }
  for (const listener of set) listener(parsed);
}

async function run(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch('/v0/management/events', { headers: { authorization: `Bearer ${storedKey() ?? ''}`, accept: 'text/event-stream' }, signal });
      if (res.status === 401) {
        setConnected(false);
        onRefused(new ApiError(401, 'management key refused'));
        return;
      }
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      setConnected(true);
      backoffMs = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const sep = buffer.slice(end).match(/^\r?\n\r?\n/)![0];
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + sep.length);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    setConnected(false);
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    backoffMs = Math.min(backoffMs * 2, 15_000);
  }
}

/** Opens the stream (once; a second call is a no-op while it runs). */
export function connectEvents(refused: (err: ApiError) => void): void {
  onRefused = refused;
  if (abort) return;
  abort = new AbortController();
  void run(abort.signal);
}

/** Closes the stream (logout). */
export function disconnectEvents(): void {
  abort?.abort();
  abort = null;
  setConnected(false);
}
