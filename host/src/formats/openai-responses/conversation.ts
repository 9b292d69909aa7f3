/**
 * Stored conversations of the Responses API: `previous_response_id` names an answer whose input
 * and output go before the new input (its `instructions` are not carried over, as OpenAI does).
 *
 * @module
 */
import type { ConversationDialect, WireEvent } from '../wire-format.js';

/** The request's input as items (a string input is one user message). */
function inputOf(body: Record<string, unknown>): unknown[] {
  const input = body.input;
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

/** The events that end a stream with an answer to store. */
const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete']);
/** The text of an event whose type may be a final one (a string value, so never inside an escaped text). */
const FINAL_TYPE = /"response\.(?:completed|incomplete)"/;

export const responsesConversation: ConversationDialect = {
  url: '/v1/responses',
  previousId: (body) => (typeof body.previous_response_id === 'string' && body.previous_response_id !== '' ? body.previous_response_id : undefined),
  expand(body, history) {
    const { previous_response_id: _used, ...rest } = body;
    return { ...rest, input: [...history.input, ...history.output, ...inputOf(body)] };
  },
  stores: (body) => body.store !== false,
  inputOf,
  answerOf(response) {
    const r = response as { id?: unknown; object?: unknown; output?: unknown } | null;
    if (typeof r?.id !== 'string' || r.object !== 'response' || !Array.isArray(r.output)) return undefined;
    return { id: r.id, output: r.output };
  },
  finalAnswer(event: WireEvent) {
    // Events held as text (a passed-through stream's, the encoder's deltas) are parsed only when they may be the final
    // one: by their SSE name when it is a Responses event type (OpenAI names every event by its type), else by their text.
    if (typeof event.data === 'string' && !(event.event?.startsWith('response.') ? FINAL_EVENTS.has(event.event) : FINAL_TYPE.test(event.data))) return undefined;
    const data = (typeof event.data === 'string' ? safeParse(event.data) : event.data) as { type?: unknown; response?: unknown } | undefined;
    return typeof data?.type === 'string' && FINAL_EVENTS.has(data.type) ? data.response : undefined;
  },
  deleted: (id) => ({ id, object: 'response.deleted', deleted: true }),
};

/** A passed-through event still holds its JSON text. */
function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
