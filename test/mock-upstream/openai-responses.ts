/**
 * The OpenAI Responses API as the mock speaks it, beside Chat Completions under `/openai/v1`:
 * `POST /responses` (a Response object, or the typed SSE events OpenAI sends, ending with
 * `response.completed`) and `POST /responses/input_tokens`.
 *
 * @module
 */
import { answer, arr, halves, inputTokens, wordChunks, type Conversation, type Outcome } from './common.js';
import { sseHeaders } from './sse.js';
import type { Call, Reply } from './types.js';

const TOOL_CALL_ID = 'call_mock_1';

/** The text of Responses content: a string, or its `input_text` / `output_text` parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return arr(content)
    .filter((p) => typeof p?.text === 'string')
    .map((p) => p.text as string)
    .join('');
}

function conversation(body: any): Conversation {
  const items: any[] = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : arr(body.input);
  const isSystem = (i: any) => i?.role === 'system' || i?.role === 'developer';
  const messages = items.filter((i) => (i?.type ?? 'message') === 'message');
  let firstResult = items.length;
  while (firstResult > 0 && items[firstResult - 1]?.type === 'function_call_output') firstResult--;
  const results = items.slice(firstResult).map((i) => String(i.output));
  const firstTool = arr(body.tools).find((t) => t?.type === 'function')?.name;
  return {
    system: [body.instructions ?? '', ...messages.filter(isSystem).map((m) => textOf(m.content))].filter(Boolean).join('\n\n'),
    texts: [...messages.filter((m) => !isSystem(m)).map((m) => textOf(m.content)), ...results],
    lastUser: textOf(messages.findLast((m) => m?.role === 'user')?.content),
    toolResult: results.length > 0 ? results.join('\n') : undefined,
    firstTool: typeof firstTool === 'string' ? firstTool : undefined,
  };
}

function usage(out: Outcome) {
  return {
    input_tokens: out.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: out.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: out.inputTokens + out.outputTokens,
  };
}

function outputItem(call: Call, out: Outcome): Record<string, unknown> {
  const a = out.answer;
  return a.kind === 'text'
    ? { id: `msg_mock_${call.seq}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: a.text, annotations: [] }] }
    : { id: `fc_mock_${call.seq}`, type: 'function_call', status: 'completed', call_id: TOOL_CALL_ID, name: a.name, arguments: a.args };
}

function response(call: Call, status: string, output: unknown[], out?: Outcome): Record<string, unknown> {
  return {
    id: `resp_mock_${call.seq}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    model: call.body.model,
    output,
    usage: out ? usage(out) : null,
  };
}

/** The typed events of one answer, in OpenAI's order, each with its sequence number. */
function events(call: Call, out: Outcome): string[] {
  let seq = 0;
  const ev = (type: string, fields: object) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  const item = outputItem(call, out);
  const frames = [ev('response.created', { response: response(call, 'in_progress', []) }), ev('response.in_progress', { response: response(call, 'in_progress', []) })];
  const a = out.answer;
  const at = { item_id: item.id, output_index: 0 };
  if (a.kind === 'text') {
    frames.push(ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }));
    frames.push(ev('response.content_part.added', { ...at, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }));
    for (const delta of wordChunks(a.text)) frames.push(ev('response.output_text.delta', { ...at, content_index: 0, delta, logprobs: [] }));
    frames.push(ev('response.output_text.done', { ...at, content_index: 0, text: a.text, logprobs: [] }));
    frames.push(ev('response.content_part.done', { ...at, content_index: 0, part: { type: 'output_text', text: a.text, annotations: [] } }));
  } else {
    frames.push(ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } }));
    for (const delta of halves(a.args)) frames.push(ev('response.function_call_arguments.delta', { ...at, delta }));
    frames.push(ev('response.function_call_arguments.done', { ...at, name: a.name, arguments: a.args }));
  }
  frames.push(ev('response.output_item.done', { output_index: 0, item }));
  frames.push(ev('response.completed', { response: response(call, 'completed', [item], out) }));
  return frames;
}

/** `POST /responses`. */
export function responses(stream: boolean, error: (status: number, message: string) => Reply) {
  return (call: Call): Reply => {
    const body = call.body;
    if (typeof body?.model !== 'string') return error(400, "Missing required parameter: 'model'.");
    if (body.input === undefined) return error(400, "Missing required parameter: 'input'.");
    const out = answer('openai', body.model, conversation(body));
    if (stream) return { kind: 'stream', frames: events(call, out), headers: sseHeaders('text/event-stream; charset=utf-8') };
    return { kind: 'json', status: 200, body: response(call, 'completed', [outputItem(call, out)], out) };
  };
}

/** `POST /responses/input_tokens`. */
export function inputTokenCount(call: Call): Reply {
  return { kind: 'json', status: 200, body: { object: 'response.input_tokens', input_tokens: inputTokens(conversation(call.body ?? {})) } };
}

