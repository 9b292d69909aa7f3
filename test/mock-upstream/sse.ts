/**
 * Framing of streamed events, kept apart from the formats so each module only says *what* it
 * streams. Frames are built up front as strings; `server.ts` decides when (and whether) each
 * one is written, which is what the `slow` and `cut` faults act on.
 *
 * @module
 */

/**
 * One server-sent event: an optional `event:` line, one `data:` line, then a blank line.
 *
 * @param data - an object (serialised as one line of JSON) or a raw string such as `[DONE]`
 * @param event - the SSE event name; Anthropic names every event, OpenAI and Gemini none
 * @param eol - line ending; the Gemini API ends its lines with CRLF, the others with LF
 */
export function sseEvent(data: unknown, event?: string, eol = '\n'): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}${eol}`}data: ${payload}${eol}${eol}`;
}

/** Response headers for an SSE stream; `no-cache` because proxies must not buffer it. */
export function sseHeaders(contentType = 'text/event-stream'): Record<string, string> {
  return { 'content-type': contentType, 'cache-control': 'no-cache' };
}

/**
 * Elements of a JSON array written one per frame, the way `streamGenerateContent` streams
 * without `alt=sse`: the frames concatenate to one valid JSON array.
 */
export function jsonArrayFrames(items: unknown[]): string[] {
  return items.map(
    (item, i) =>
      `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(item, null, 2)}${i === items.length - 1 ? '\n]' : '\n'}`,
  );
}
