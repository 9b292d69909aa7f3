/**
 * Anthropic Messages requests: client body -> IR, and IR -> upstream body.
 *
 * @module
 */
import { gatewayError } from '../../errors/registry.js';
import type { DecodeOptions, DecodedRequest, EncodedBody } from '../wire-format.js';
import type { IRImageSource, IRMessage, IRPart, IRReasoning, IRRequest, IRTool, IRToolChoice } from '../ir.js';
import { reasoningBudget, reasoningFromBudget } from '../reasoning.js';
import { parseBody } from '../validate.js';
import { type AnthropicContentBlock, type AnthropicRequestBody, requestSchema } from './schema.js';

/** `max_tokens` is required by the Messages API; used when the IR carries none. */
export const DEFAULT_MAX_TOKENS = 4096;

/** Top-level fields mapped into the IR or pure transport; every other field is `unmapped`. */
const MAPPED_FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'tools', 'tool_choice', 'temperature', 'top_p', 'top_k',
  'stop_sequences', 'stream', 'metadata', 'thinking',
]);

/** The fields of `thinking` the decoder maps; others (`display` ...) are reported as `thinking.<field>`. */
const THINKING_FIELDS = new Set(['type', 'budget_tokens']);

/** What the decoder learns while walking the conversation. */
interface DecodeState {
  /** Tool names by tool_use id, so tool_result parts get the `name` Gemini needs. */
  toolNames: Map<string, string>;
  unmapped: Set<string>;
}

/** Joins the text of text blocks; other blocks are reported under `path` and dropped. */
function joinText(blocks: readonly { type: string; text?: string }[], path: string, state: DecodeState, sep: string): string {
  const texts: string[] = [];
  for (const block of blocks) {
    if (block.type === 'text') texts.push(block.text ?? '');
    else state.unmapped.add(`${path}.type=${originalType(block)}`);
  }
  return texts.join(sep);
}

function originalType(block: { type: string; originalType?: string }): string {
  return block.originalType ?? block.type;
}

function decodeImage(source: Extract<AnthropicContentBlock, { type: 'image' }>['source'], state: DecodeState): IRImageSource | undefined {
  if (source.type === 'base64') return { kind: 'base64', mediaType: source.media_type, data: source.data };
  if (source.type === 'url') return { kind: 'url', url: source.url };
  // `file` sources reference the Files API, which no other format can resolve.
  state.unmapped.add(`messages[].content[].source.type=${source.originalType}`);
  return undefined;
}

function decodeBlock(block: AnthropicContentBlock, state: DecodeState): IRPart[] {
  switch (block.type) {
    case 'text':
      return [{ type: 'text', text: block.text }];
    case 'image': {
      const source = decodeImage(block.source, state);
      return source ? [{ type: 'image', source }] : [];
    }
    case 'tool_use':
      state.toolNames.set(block.id, block.name);
      return [{ type: 'tool_call', id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) }];
    case 'tool_result': {
      const part: IRPart = {
        type: 'tool_result',
        toolCallId: block.tool_use_id,
        name: state.toolNames.get(block.tool_use_id) ?? '',
        content: joinText(block.content ?? [], 'messages[].content[].content[]', state, '\n\n'),
      };
      if (block.is_error != null) part.isError = block.is_error;
      return [part];
    }
    case 'thinking': {
      const part: IRPart = { type: 'thinking', text: block.thinking };
      if (block.signature) part.signature = block.signature;
      return [part];
    }
    case 'other':
      // e.g. redacted_thinking, document, search_result, server_tool_use: no IR counterpart.
      state.unmapped.add(`messages[].content[].type=${block.originalType}`);
      return [];
  }
}

function decodeToolChoice(choice: NonNullable<AnthropicRequestBody['tool_choice']>, state: DecodeState): IRToolChoice {
  if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use) {
    state.unmapped.add('tool_choice.disable_parallel_tool_use');
  }
  switch (choice.type) {
    case 'auto': return { type: 'auto' };
    case 'any': return { type: 'required' };
    case 'none': return { type: 'none' };
    case 'tool': return { type: 'tool', name: choice.name };
  }
}

function decodeTools(tools: NonNullable<AnthropicRequestBody['tools']>, state: DecodeState): IRTool[] {
  const out: IRTool[] = [];
  for (const tool of tools) {
    if (tool.type === 'other') {
      // Server tools (web search, code execution ...) run at Anthropic; other upstreams cannot.
      state.unmapped.add(`tools[].type=${tool.originalType}`);
      continue;
    }
    const ir: IRTool = { name: tool.name, parameters: tool.input_schema };
    if (tool.description != null) ir.description = tool.description;
    out.push(ir);
  }
  return out;
}

/** `thinking` -> IR reasoning: `enabled` a budget (0 reads as off), `disabled` off, `adaptive` auto. */
function decodeThinking(thinking: NonNullable<AnthropicRequestBody['thinking']>, state: DecodeState): IRReasoning | undefined {
  if (thinking.type === 'other') {
    state.unmapped.add(`thinking.type=${thinking.originalType}`);
    return undefined;
  }
  for (const key of Object.keys(thinking)) if (!THINKING_FIELDS.has(key)) state.unmapped.add(`thinking.${key}`);
  switch (thinking.type) {
    case 'enabled': return reasoningFromBudget(thinking.budget_tokens);
    case 'disabled': return { mode: 'off' };
    case 'adaptive': return { mode: 'auto' };
  }
}

/**
 * Validates an Anthropic Messages body and decodes it into the IR. `system` messages inside
 * `messages` are folded into the system prompt after the top-level `system`.
 */
export function decodeRequest(body: unknown, options: DecodeOptions): DecodedRequest {
  const parsed = parseBody(requestSchema, body);
  const model = parsed.model ?? options.model;
  if (!model) throw gatewayError('invalid_body', 'model: required');

  const state: DecodeState = { toolNames: new Map(), unmapped: new Set() };
  for (const key of Object.keys(parsed)) if (!MAPPED_FIELDS.has(key)) state.unmapped.add(key);

  const systemTexts: string[] = [];
  if (parsed.system) systemTexts.push(joinText(parsed.system, 'system[]', state, '\n\n'));
  const messages: IRMessage[] = [];
  for (const message of parsed.messages) {
    if (message.role === 'system') {
      systemTexts.push(joinText(message.content, 'messages[].content[]', state, '\n\n'));
      continue;
    }
    const content = message.content.flatMap((block) => decodeBlock(block, state));
    // A message left empty (only redacted thinking, say) would be rejected by any upstream.
    if (content.length > 0) messages.push({ role: message.role, content });
  }

  const request: IRRequest = { model, messages, stream: parsed.stream ?? options.stream ?? false };
  const system = systemTexts.filter((text) => text !== '').join('\n\n');
  if (system) request.system = system;
  if (parsed.tools) {
    const tools = decodeTools(parsed.tools, state);
    if (tools.length > 0) request.tools = tools;
  }
  if (parsed.tool_choice) request.toolChoice = decodeToolChoice(parsed.tool_choice, state);
  if (parsed.max_tokens != null) request.maxTokens = parsed.max_tokens;
  if (parsed.temperature != null) request.temperature = parsed.temperature;
  if (parsed.top_p != null) request.topP = parsed.top_p;
  if (parsed.top_k != null) request.topK = parsed.top_k;
  if (parsed.stop_sequences) request.stopSequences = parsed.stop_sequences;
  if (parsed.metadata?.user_id) request.user = parsed.metadata.user_id;
  if (parsed.thinking) {
    const reasoning = decodeThinking(parsed.thinking, state);
    if (reasoning) request.reasoning = reasoning;
  }
  return { request, unmapped: [...state.unmapped] };
}

/**
 * Parses IR tool-call arguments (JSON text) into the object Anthropic's `input` must be.
 * Empty text is a call without arguments; invalid JSON or a non-object gives `{}` and is noted
 * in `dropped` as `tool_call.arguments`.
 */
export function toolInput(args: string, dropped: Set<string>): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through: reported below
  }
  dropped.add('tool_call.arguments');
  return {};
}

function encodeImage(source: IRImageSource): Record<string, unknown> {
  return source.kind === 'base64'
    ? { type: 'base64', media_type: source.mediaType, data: source.data }
    : { type: 'url', url: source.url };
}

function encodePart(part: IRPart, dropped: Set<string>): Record<string, unknown>[] {
  switch (part.type) {
    case 'text':
      // The API rejects empty text blocks, which OpenAI clients send beside tool calls.
      return part.text ? [{ type: 'text', text: part.text }] : [];
    case 'image':
      return [{ type: 'image', source: encodeImage(part.source) }];
    case 'tool_call':
      return [{ type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments, dropped) }];
    case 'tool_result': {
      const block: Record<string, unknown> = { type: 'tool_result', tool_use_id: part.toolCallId, content: part.content };
      if (part.isError != null) block.is_error = part.isError;
      return [block];
    }
    case 'thinking':
      // Anthropic rejects thinking blocks it did not sign (reasoning from another provider).
      if (!part.signature) {
        dropped.add('thinking');
        return [];
      }
      return [{ type: 'thinking', thinking: part.text, signature: part.signature }];
  }
}

function encodeToolChoice(choice: IRToolChoice): Record<string, unknown> {
  switch (choice.type) {
    case 'auto': return { type: 'auto' };
    case 'none': return { type: 'none' };
    case 'required': return { type: 'any' };
    case 'tool': return { type: 'tool', name: choice.name };
  }
}

/** Encodes an IR request as an Anthropic Messages upstream body. */
export function encodeRequest(request: IRRequest): EncodedBody {
  const dropped = new Set<string>();
  const messages = request.messages
    .map((message) => ({ role: message.role, content: message.content.flatMap((part) => encodePart(part, dropped)) }))
    // The API rejects empty content; a message can only empty out through dropped parts.
    .filter((message) => message.content.length > 0);

  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
    stream: request.stream,
  };
  if (request.system) body.system = request.system;
  if (request.tools) {
    // Strict tools need a beta header here; the schema still guides the model.
    if (request.tools.some((tool) => tool.strict)) dropped.add('tools.strict');
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      // Anthropic requires `input_schema.type: "object"`; other formats allow an empty schema.
      input_schema: { type: 'object', ...tool.parameters },
    }));
  }
  if (request.toolChoice) body.tool_choice = encodeToolChoice(request.toolChoice);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stopSequences) body.stop_sequences = request.stopSequences;
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  // Messages has no structured-output setting.
  if (request.responseFormat) dropped.add('responseFormat');
  if (!request.reasoning) return { body, dropped: [...dropped] };
  const withReasoning = writeThinking(body, request.reasoning);
  for (const field of withReasoning.dropped) dropped.add(field);
  return { body: withReasoning.body, dropped: [...dropped] };
}

/** The smallest `budget_tokens` the Messages API accepts. */
export const MIN_THINKING_BUDGET = 1024;

type WireObject = Record<string, unknown>;

function isObject(value: unknown): value is WireObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether Anthropic would refuse thinking for these messages: when the conversation is in a tool
 * loop (its last message carries tool results), the assistant message before it must open with
 * a signed thinking block, which a conversation from another format does not have.
 */
function thinkingRefused(messages: unknown): boolean {
  if (!Array.isArray(messages) || messages.length < 2) return false;
  const last: unknown = messages[messages.length - 1];
  const previous: unknown = messages[messages.length - 2];
  const blocks = (m: unknown): unknown[] => (isObject(m) && Array.isArray(m.content) ? m.content : []);
  if (!isObject(last) || last.role !== 'user' || !blocks(last).some((b) => isObject(b) && b.type === 'tool_result')) return false;
  if (!isObject(previous) || previous.role !== 'assistant') return false;
  const first = blocks(previous)[0];
  return !(isObject(first) && (first.type === 'thinking' || first.type === 'redacted_thinking'));
}

/**
 * Sampling settings the API refuses beside thinking, each with the IR field it reports as
 * dropped: a temperature other than 1, any top_k, a top_p under 0.95, and a forced tool choice.
 */
const THINKING_CONFLICTS: readonly { field: string; dropped: string; conflicts: (value: unknown) => boolean }[] = [
  { field: 'temperature', dropped: 'temperature', conflicts: (v) => v !== 1 },
  { field: 'top_k', dropped: 'topK', conflicts: () => true },
  { field: 'top_p', dropped: 'topP', conflicts: (v) => typeof v !== 'number' || v < 0.95 },
  { field: 'tool_choice', dropped: 'toolChoice', conflicts: (v) => !isObject(v) || (v.type !== 'auto' && v.type !== 'none') },
];

/**
 * `body` (a Messages body) with `thinking` for `reasoning`, and the IR fields this cost:
 *
 * - off: `{type: 'disabled'}`.
 * - auto: `{type: 'adaptive'}`, Anthropic's "the model decides how much to think".
 * - a budget, or a level as its budget by the table: `{type: 'enabled', budget_tokens}`, raised
 *   to the API's minimum of 1024. `max_tokens` counts thinking too and must exceed the budget:
 *   when it does not, the budget is added on top of it, so the answer keeps the room it had.
 *
 * Thinking on also removes the sampling settings the API refuses beside it (see
 * {@link THINKING_CONFLICTS}). When Anthropic would refuse thinking for the conversation (see
 * {@link thinkingRefused}), thinking stays off for this request and `reasoning` is reported
 * dropped. Other fields of a `thinking` object the body had (`display`) are kept.
 */
function writeThinking(body: WireObject, reasoning: IRReasoning): { body: WireObject; dropped: string[] } {
  const { thinking: previous, ...rest } = body;
  const { type: _type, budget_tokens: _budget, ...kept } = isObject(previous) ? previous : {};
  if (reasoning.mode === 'off') return { body: { ...rest, thinking: { type: 'disabled' } }, dropped: [] };
  if (thinkingRefused(body.messages)) return { body: rest, dropped: ['reasoning'] };

  const out: WireObject = { ...rest };
  if (reasoning.mode === 'auto') out.thinking = { ...kept, type: 'adaptive' };
  else {
    const budget = Math.max(MIN_THINKING_BUDGET, reasoningBudget(reasoning));
    out.thinking = { ...kept, type: 'enabled', budget_tokens: budget };
    const maxTokens = typeof out.max_tokens === 'number' ? out.max_tokens : DEFAULT_MAX_TOKENS;
    if (maxTokens <= budget) out.max_tokens = budget + maxTokens;
  }
  const dropped: string[] = [];
  for (const { field, dropped: name, conflicts } of THINKING_CONFLICTS) {
    if (out[field] !== undefined && conflicts(out[field])) {
      delete out[field];
      dropped.push(name);
    }
  }
  return { body: out, dropped };
}

/** `WireFormat.applyReasoning` for Anthropic: the rules of {@link writeThinking}. */
export function applyReasoning(body: WireObject, reasoning: IRReasoning): WireObject {
  return writeThinking(body, reasoning).body;
}
