/**
 * OpenAI Chat Completions requests: client body -> IR, and IR -> upstream body.
 *
 * @module
 */
import { gatewayError } from '../../errors/registry.js';
import type { DecodeOptions, DecodedRequest, EncodedBody } from '../wire-format.js';
import type { IRMessage, IRPart, IRReasoning, IRRequest, IRResponseFormat, IRTool, IRToolChoice } from '../ir.js';
import { reasoningEffort, reasoningFromWord } from '../reasoning.js';
import { parseBody } from '../validate.js';
import {
  requestSchema,
  type FunctionTool,
  type FunctionToolCall,
  type ImagePart,
  type OpenAIMessage,
  type OpenAIRequest,
  type TextPart,
} from './schema.js';

/** Top-level fields mapped into the IR or pure transport; every other present field is unmapped. */
const MAPPED_FIELDS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens',
  'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'user', 'reasoning_effort', 'response_format',
]);

/** Inline images arrive as `data:<type>;base64,<data>` URLs; anything else is fetched by URL. */
const DATA_URL = /^data:([^;,]+)(?:;[^,;]+)*;base64,(.*)$/s;

/** Decodes one content array or string into IR parts, reporting dropped part types. */
function decodeContent(content: string | Array<{ type: string }>, unmapped: Set<string>): IRPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: IRPart[] = [];
  for (const part of content) {
    if (part.type === 'text') parts.push({ type: 'text', text: (part as TextPart).text });
    else if (part.type === 'image_url') {
      const url = (part as ImagePart).image_url.url;
      const match = DATA_URL.exec(url);
      parts.push({
        type: 'image',
        source: match ? { kind: 'base64', mediaType: match[1]!, data: match[2]! } : { kind: 'url', url },
      });
    } else unmapped.add(`messages[].content[].type=${part.type}`);
  }
  return parts;
}

/** Text of system/developer/tool content: several text parts are joined with a blank line. */
function joinText(content: string | Array<{ type: string }>, unmapped: Set<string>): string {
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const part of content) {
    if (part.type === 'text') texts.push((part as TextPart).text);
    else unmapped.add(`messages[].content[].type=${part.type}`);
  }
  return texts.join('\n\n');
}

function decodeAssistant(msg: Extract<OpenAIMessage, { role: 'assistant' }>, unmapped: Set<string>): IRPart[] {
  const parts: IRPart[] = [];
  // Reasoning precedes the answer it led to, as Anthropic orders thinking blocks.
  if (msg.reasoning_content) parts.push({ type: 'thinking', text: msg.reasoning_content });
  // Clients send `content: ""` beside tool calls to mean "no text"; an empty text part would
  // be rejected by Anthropic upstreams.
  if (msg.content) parts.push(...decodeContent(msg.content, unmapped));
  if (msg.refusal) unmapped.add('messages[].refusal');
  for (const call of msg.tool_calls ?? []) {
    if (call.type !== 'function') {
      unmapped.add(`messages[].tool_calls[].type=${call.type}`);
      continue;
    }
    const { id, function: fn } = call as FunctionToolCall;
    parts.push({ type: 'tool_call', id, name: fn.name, arguments: fn.arguments });
  }
  if (msg.function_call != null) unmapped.add('messages[].function_call');
  return parts;
}

function decodeToolChoice(choice: NonNullable<OpenAIRequest['tool_choice']>, unmapped: Set<string>): IRToolChoice | undefined {
  if (typeof choice === 'string') return { type: choice };
  if (choice.type === 'function') return { type: 'tool', name: choice.function.name };
  unmapped.add('tool_choice');
  return undefined;
}

/**
 * Validates a client body and decodes it into the IR. System and developer messages become
 * `system`; runs of `tool` messages fold into one user message of `tool_result` parts whose
 * `name` comes from the matching earlier tool call.
 */
export function decodeRequest(raw: unknown, options: DecodeOptions): DecodedRequest {
  const body = parseBody(requestSchema, raw);
  const model = body.model ?? options.model;
  if (!model) throw gatewayError('invalid_body', 'model: required');

  const unmapped = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    // A null field asks for the default: nothing is lost by not mapping it.
    if (!MAPPED_FIELDS.has(key) && value != null) unmapped.add(key);
  }

  const system: string[] = [];
  const messages: IRMessage[] = [];
  const toolNames = new Map<string, string>();
  let toolGroup: IRMessage | undefined;
  for (const msg of body.messages) {
    if (msg.role === 'system' || msg.role === 'developer') {
      system.push(joinText(msg.content, unmapped));
    } else if (msg.role === 'tool') {
      const part: IRPart = {
        type: 'tool_result',
        toolCallId: msg.tool_call_id,
        name: toolNames.get(msg.tool_call_id) ?? '',
        content: joinText(msg.content, unmapped),
      };
      if (toolGroup) toolGroup.content.push(part);
      else messages.push((toolGroup = { role: 'user', content: [part] }));
    } else if (msg.role === 'function') {
      unmapped.add('messages[].role=function');
    } else if (msg.role === 'user') {
      toolGroup = undefined;
      messages.push({ role: 'user', content: decodeContent(msg.content, unmapped) });
    } else if (msg.role === 'assistant') {
      toolGroup = undefined;
      const content = decodeAssistant(msg, unmapped);
      for (const p of content) if (p.type === 'tool_call') toolNames.set(p.id, p.name);
      messages.push({ role: 'assistant', content });
    }
  }

  const request: IRRequest = { model, messages, stream: body.stream ?? options.stream ?? false };
  if (system.length) request.system = system.join('\n\n');
  const tools = (body.tools ?? []).flatMap((tool) => {
    if (tool.type !== 'function') {
      unmapped.add(`tools[].type=${tool.type}`);
      return [];
    }
    const fn = (tool as FunctionTool).function;
    // OpenAI documents an omitted `parameters` as a function taking no arguments.
    const parameters = fn.parameters ?? { type: 'object', properties: {} };
    const decoded: IRTool = fn.description == null ? { name: fn.name, parameters } : { name: fn.name, description: fn.description, parameters };
    // Not strict is the IR's default; strict is kept for the formats that can ask for it.
    if (fn.strict === true) decoded.strict = true;
    return [decoded];
  });
  if (tools.length) request.tools = tools;
  const toolChoice = body.tool_choice == null ? undefined : decodeToolChoice(body.tool_choice, unmapped);
  if (toolChoice) request.toolChoice = toolChoice;
  // `max_completion_tokens` superseded `max_tokens`; prefer it when a client sends both.
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.topP = body.top_p;
  if (body.stop != null) request.stopSequences = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.user != null) request.user = body.user;
  const format = decodeResponseFormat(body.response_format);
  if (format === null) unmapped.add('response_format');
  else if (format) request.responseFormat = format;
  if (body.reasoning_effort != null) {
    const reasoning = reasoningFromWord(body.reasoning_effort);
    if (reasoning) request.reasoning = reasoning;
    else unmapped.add('reasoning_effort');
  }
  return { request, unmapped: [...unmapped] };
}

/** `response_format` as the IR's; undefined for plain text, null for a shape the IR cannot hold. */
function decodeResponseFormat(format: unknown): IRResponseFormat | undefined | null {
  const f = format as { type?: unknown; json_schema?: { name?: unknown; schema?: unknown; description?: unknown; strict?: unknown } } | null | undefined;
  if (f == null || f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  const js = f.json_schema;
  if (f.type !== 'json_schema' || typeof js?.name !== 'string' || typeof js.schema !== 'object' || js.schema === null) return null;
  return {
    type: 'json_schema',
    name: js.name,
    schema: js.schema as Record<string, unknown>,
    ...(typeof js.description === 'string' && { description: js.description }),
    ...(typeof js.strict === 'boolean' && { strict: js.strict }),
  };
}

function encodeResponseFormat(format: IRResponseFormat): Record<string, unknown> {
  if (format.type === 'json_object') return { type: 'json_object' };
  const { type: _type, ...schema } = format;
  return { type: 'json_schema', json_schema: schema };
}

/** Text parts alone as a plain string, anything else as content parts. */
function encodeContent(parts: IRPart[]): string | Record<string, unknown>[] {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts.map((p) => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    const source = (p as Extract<IRPart, { type: 'image' }>).source;
    const url = source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
    return { type: 'image_url', image_url: { url } };
  });
}

function encodeAssistant(parts: IRPart[], dropped: Set<string>): Record<string, unknown> {
  const msg: Record<string, unknown> = { role: 'assistant' };
  const text = parts.filter((p) => p.type === 'text');
  const calls = parts.flatMap((p) => (p.type === 'tool_call' ? [p] : []));
  for (const p of parts) if (p.type === 'image' || p.type === 'tool_result') dropped.add(`assistant.${p.type}`);
  msg.content = text.length ? encodeContent(text) : null;
  // Reasoning is never sent back upstream: OpenAI has no field for it and DeepSeek rejects
  // `reasoning_content` in input messages.
  if (parts.some((p) => p.type === 'thinking')) dropped.add('thinking');
  if (calls.length) {
    msg.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  return msg;
}

/**
 * Encodes an IR request as an upstream Chat Completions body. Tool results become `tool`
 * messages placed before the rest of their user message, since OpenAI wants them right after
 * the assistant's tool calls. Earlier reasoning is dropped (see `encodeAssistant`).
 */
export function encodeRequest(request: IRRequest): EncodedBody {
  const dropped = new Set<string>();
  const messages: Record<string, unknown>[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
  for (const msg of request.messages) {
    if (msg.role === 'assistant') {
      messages.push(encodeAssistant(msg.content, dropped));
      continue;
    }
    const rest: IRPart[] = [];
    for (const p of msg.content) {
      if (p.type === 'tool_result') {
        messages.push({ role: 'tool', tool_call_id: p.toolCallId, content: p.content });
        if (p.isError) dropped.add('tool_result.isError');
      } else if (p.type === 'text' || p.type === 'image') rest.push(p);
      else dropped.add(`user.${p.type}`);
    }
    if (rest.length) messages.push({ role: 'user', content: encodeContent(rest) });
  }

  const body: Record<string, unknown> = { model: request.model, messages };
  if (request.tools) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined && { description: t.description }),
        parameters: t.parameters,
        ...(t.strict !== undefined && { strict: t.strict }),
      },
    }));
  }
  if (request.toolChoice) {
    const c = request.toolChoice;
    body.tool_choice = c.type === 'tool' ? { type: 'function', function: { name: c.name } } : c.type;
  }
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) dropped.add('topK');
  if (request.stopSequences) body.stop = request.stopSequences;
  if (request.user !== undefined) body.user = request.user;
  if (request.responseFormat) body.response_format = encodeResponseFormat(request.responseFormat);
  body.stream = request.stream;
  // Without this OpenAI sends no usage in streams, and the gateway needs it for accounting.
  if (request.stream) body.stream_options = { include_usage: true };
  return { body: request.reasoning ? applyReasoning(body, request.reasoning) : body, dropped: [...dropped] };
}

/**
 * `body` with `reasoning_effort` for `reasoning`: a level as it is, a budget as its level by the
 * table, off as `none`. `auto` asks for the upstream's default, which is no `reasoning_effort`.
 */
export function applyReasoning(body: Record<string, unknown>, reasoning: IRReasoning): Record<string, unknown> {
  const { reasoning_effort: _replaced, ...rest } = body;
  const effort = reasoningEffort(reasoning);
  return effort === 'auto' ? rest : { ...rest, reasoning_effort: effort };
}
