/**
 * OpenAI Responses requests: client body -> IR, and IR -> upstream body. Input items fold into
 * IR turns the way the other formats' turns do: consecutive `function_call` items join one
 * assistant turn, consecutive `function_call_output` items one user turn of tool results.
 * Fields the IR has no place for (`include`, `metadata`, `parallel_tool_calls`, built-in tools,
 * `input_file` ...) are reported unmapped: they survive a same-format pass-through.
 *
 * @module
 */
import { gatewayError } from '../../errors/registry.js';
import type { IRMessage, IRPart, IRReasoning, IRRequest, IRTool, IRToolChoice } from '../ir.js';
import { reasoningEffort, reasoningFromWord } from '../reasoning.js';
import { parseBody } from '../validate.js';
import type { DecodeOptions, DecodedRequest, EncodedBody } from '../wire-format.js';
import {
  type ContentPart,
  type FunctionCallItem,
  type FunctionCallOutputItem,
  type FunctionTool,
  type MessageItem,
  type ReasoningItem,
  requestSchema,
} from './schema.js';

/**
 * Top-level fields mapped into the IR, or handled by the host itself: stored conversations
 * (`store`, `previous_response_id`) and transport (`stream_options`).
 */
const MAPPED_FIELDS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'max_output_tokens', 'temperature', 'top_p',
  'stream', 'stream_options', 'user', 'reasoning', 'store', 'previous_response_id', 'text',
]);

/** Inline images arrive as `data:<type>;base64,<data>` URLs; anything else is fetched by URL. */
const DATA_URL = /^data:([^;,]+)(?:;[^,;]+)*;base64,(.*)$/s;

/** Content parts as IR parts; `input_file`, images by `file_id` and the like are reported under `path`. */
function decodeParts(content: string | ContentPart[], unmapped: Set<string>, path = 'input[].content[]'): IRPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const parts: IRPart[] = [];
  for (const part of content) {
    // The schema checked `text` and `refusal` are strings for these types.
    if (part.type === 'input_text' || part.type === 'output_text') parts.push({ type: 'text', text: part.text as string });
    else if (part.type === 'refusal') parts.push({ type: 'text', text: part.refusal as string });
    else if (part.type === 'input_image' && typeof part.image_url === 'string') {
      const match = DATA_URL.exec(part.image_url);
      parts.push({ type: 'image', source: match ? { kind: 'base64', mediaType: match[1]!, data: match[2]! } : { kind: 'url', url: part.image_url } });
    } else unmapped.add(`${path}.type=${part.type}${part.type === 'input_image' ? '(file_id)' : ''}`);
  }
  return parts;
}

/** The text of content parts, joined with a blank line; anything else is reported under `path`. */
function textOf(content: string | ContentPart[], unmapped: Set<string>, path = 'input[].content[]'): string {
  const texts: string[] = [];
  for (const part of decodeParts(content, unmapped, path)) {
    if (part.type === 'text') texts.push(part.text);
    else unmapped.add(`${path}.type=input_image`);
  }
  return texts.join('\n\n');
}

/** Adds `part` to the last turn when it has `role`, else to a new turn. */
function append(messages: IRMessage[], role: IRMessage['role'], part: IRPart, join: boolean): void {
  const last = messages.at(-1);
  if (join && last?.role === role) last.content.push(part);
  else messages.push({ role, content: [part] });
}

/** A reasoning item as an IR thinking part: its summary (or its raw text), its encrypted content as the signature. */
function decodeReasoning(item: ReasoningItem): Extract<IRPart, { type: 'thinking' }> {
  const texts = (item.summary?.length ? item.summary : (item.content ?? [])).map((s) => s.text);
  const part: Extract<IRPart, { type: 'thinking' }> = { type: 'thinking', text: texts.join('\n\n') };
  if (item.encrypted_content) part.signature = item.encrypted_content;
  return part;
}

/**
 * Validates a client body and decodes it into the IR. `instructions` and system or developer
 * messages become `system`; reasoning items become thinking parts, their `encrypted_content`
 * the part's signature, so that a Responses upstream gets it back. Consecutive function calls
 * join one assistant turn, consecutive outputs one user turn of tool results.
 */
export function decodeRequest(raw: unknown, options: DecodeOptions): DecodedRequest {
  const body = parseBody(requestSchema, raw);
  const model = body.model ?? options.model;
  if (!model) throw gatewayError('invalid_body', 'model: required');
  const unmapped = new Set<string>();
  for (const [key, value] of Object.entries(body)) if (!MAPPED_FIELDS.has(key) && value != null) unmapped.add(key);

  const system: string[] = body.instructions ? [body.instructions] : [];
  const messages: IRMessage[] = [];
  const callNames = new Map<string, string>();
  /** Whether the last item was a function call or output: those join their neighbours' turn. */
  let joinable = false;
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input ?? []);
  for (const raw of items) {
    const type = (raw as { type?: string }).type ?? 'message';
    if (type === 'message') {
      const item = raw as MessageItem;
      joinable = false;
      if (item.role === 'system' || item.role === 'developer') system.push(textOf(item.content, unmapped));
      else {
        const content = decodeParts(item.content, unmapped);
        // Assistant text after a reasoning item or a call belongs to the same turn.
        if (item.role === 'assistant' && messages.at(-1)?.role === 'assistant') messages.at(-1)!.content.push(...content);
        else messages.push({ role: item.role, content });
      }
    } else if (type === 'function_call') {
      const item = raw as FunctionCallItem;
      callNames.set(item.call_id, item.name);
      append(messages, 'assistant', { type: 'tool_call', id: item.call_id, name: item.name, arguments: item.arguments }, true);
      joinable = true;
    } else if (type === 'function_call_output') {
      const item = raw as FunctionCallOutputItem;
      const content = typeof item.output === 'string' ? item.output : textOf(item.output, unmapped, 'input[].output[]');
      append(messages, 'user', { type: 'tool_result', toolCallId: item.call_id, name: callNames.get(item.call_id) ?? '', content }, joinable);
      joinable = true;
    } else if (type === 'reasoning') {
      const part = decodeReasoning(raw as ReasoningItem);
      // An item with neither text nor encrypted content only points at reasoning stored at OpenAI.
      if (part.text === '' && part.signature === undefined) unmapped.add('input[].reasoning.id');
      else append(messages, 'assistant', part, messages.at(-1)?.role === 'assistant');
      joinable = false;
    } else {
      unmapped.add(`input[].type=${type}`);
    }
  }

  const request: IRRequest = { model, messages, stream: body.stream ?? options.stream ?? false };
  if (system.length) request.system = system.join('\n\n');
  const tools = (body.tools ?? []).flatMap((tool) => {
    if (tool.type !== 'function') {
      unmapped.add(`tools[].type=${tool.type}`);
      return [];
    }
    const fn = tool as FunctionTool;
    const parameters = fn.parameters ?? { type: 'object', properties: {} };
    const decoded: IRTool = fn.description == null ? { name: fn.name, parameters } : { name: fn.name, description: fn.description, parameters };
    if (fn.strict === true) decoded.strict = true;
    // Omitted, Responses makes a tool strict (normalising its schema); the IR's default is not
    // strict, which other formats' strict modes would refuse such a schema for.
    else if (fn.strict == null) unmapped.add('tools[].strict');
    return [decoded];
  });
  if (tools.length) request.tools = tools;
  const choice = body.tool_choice;
  if (choice != null) {
    const decoded: IRToolChoice | undefined = typeof choice === 'string' ? { type: choice } : choice.type === 'function' && choice.name ? { type: 'tool', name: choice.name } : undefined;
    if (decoded) request.toolChoice = decoded;
    else unmapped.add('tool_choice');
  }
  if (body.max_output_tokens != null) request.maxTokens = body.max_output_tokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.topP = body.top_p;
  if (body.user != null) request.user = body.user;
  const text = (body.text ?? {}) as { format?: Record<string, unknown>; [key: string]: unknown };
  for (const key of Object.keys(text)) if (key !== 'format' && text[key] != null) unmapped.add(`text.${key}`);
  const format = text.format;
  if (format?.type === 'json_object') request.responseFormat = { type: 'json_object' };
  else if (format?.type === 'json_schema' && typeof format.name === 'string' && typeof format.schema === 'object' && format.schema !== null) {
    request.responseFormat = {
      type: 'json_schema',
      name: format.name,
      schema: format.schema as Record<string, unknown>,
      ...(typeof format.description === 'string' && { description: format.description }),
      ...(typeof format.strict === 'boolean' && { strict: format.strict }),
    };
  } else if (format != null && format.type !== 'text') unmapped.add('text.format');
  const reasoning = (body.reasoning ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(reasoning)) if (key !== 'effort' && reasoning[key] != null) unmapped.add(`reasoning.${key}`);
  const effort = body.reasoning?.effort;
  if (effort != null) {
    const decoded = reasoningFromWord(effort);
    if (decoded) request.reasoning = decoded;
    else unmapped.add('reasoning.effort');
  }
  return { request, unmapped: [...unmapped] };
}

function imageUrl(part: Extract<IRPart, { type: 'image' }>): string {
  return part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
}

/**
 * Encodes an IR request as an upstream Responses body. Tool calls and results become top-level
 * `function_call` / `function_call_output` items (Responses refuses chat-style tool messages).
 * Signed thinking becomes a reasoning item with the signature as its `encrypted_content` (what a
 * Responses upstream gave, coming back); unsigned thinking is dropped, since Responses takes
 * reasoning back only encrypted. Tools whose strictness the IR does not know are sent with
 * `strict: false`, as every other format means them. `store` is left to the host.
 */
export function encodeRequest(request: IRRequest): EncodedBody {
  const dropped = new Set<string>();
  const input: Record<string, unknown>[] = [];
  for (const msg of request.messages) {
    const content: Record<string, unknown>[] = [];
    const flush = () => {
      if (content.length === 0) return;
      input.push({ type: 'message', role: msg.role, content: content.splice(0) });
    };
    for (const part of msg.content) {
      if (part.type === 'text') content.push({ type: msg.role === 'user' ? 'input_text' : 'output_text', text: part.text });
      else if (part.type === 'image') {
        if (msg.role === 'user') content.push({ type: 'input_image', image_url: imageUrl(part), detail: 'auto' });
        else dropped.add('assistant.image');
      } else if (part.type === 'tool_call') {
        flush();
        input.push({ type: 'function_call', call_id: part.id, name: part.name, arguments: part.arguments });
      } else if (part.type === 'tool_result') {
        flush();
        input.push({ type: 'function_call_output', call_id: part.toolCallId, output: part.content });
        if (part.isError) dropped.add('tool_result.isError');
      } else if (part.signature) {
        flush();
        input.push({ type: 'reasoning', summary: part.text ? [{ type: 'summary_text', text: part.text }] : [], encrypted_content: part.signature });
      } else dropped.add('thinking');
    }
    flush();
  }
  const body: Record<string, unknown> = { model: request.model, input };
  if (request.system !== undefined) body.instructions = request.system;
  if (request.tools) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      parameters: t.parameters,
      // Omitted, Responses would make the tool strict.
      strict: t.strict ?? false,
    }));
  }
  if (request.toolChoice) {
    const c = request.toolChoice;
    body.tool_choice = c.type === 'tool' ? { type: 'function', name: c.name } : c.type;
  }
  if (request.maxTokens !== undefined) body.max_output_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) dropped.add('topK');
  if (request.stopSequences) dropped.add('stopSequences');
  if (request.user !== undefined) body.user = request.user;
  if (request.responseFormat) body.text = { format: request.responseFormat };
  body.stream = request.stream;
  return { body: request.reasoning ? applyReasoning(body, request.reasoning) : body, dropped: [...dropped] };
}

/**
 * `body` with `reasoning.effort` for `reasoning`: a level as it is, a budget as its level by the
 * table, off as `none`; `auto`, the upstream's default, leaves no effort.
 */
export function applyReasoning(body: Record<string, unknown>, reasoning: IRReasoning): Record<string, unknown> {
  const { reasoning: previous, ...rest } = body;
  const { effort: _replaced, ...kept } = (typeof previous === 'object' && previous !== null ? previous : {}) as Record<string, unknown>;
  const effort = reasoningEffort(reasoning);
  const next = effort === 'auto' ? kept : { ...kept, effort };
  return Object.keys(next).length > 0 ? { ...rest, reasoning: next } : rest;
}
