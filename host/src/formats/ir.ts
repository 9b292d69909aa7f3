/**
 * The internal representation (IR) every wire format translates to and from.
 *
 * A client request is decoded into an {@link IRRequest}, encoded into the upstream's format,
 * and the upstream's answer comes back the same way as an {@link IRResponse} or a sequence of
 * {@link IRStreamEvent}s. Adding a wire format means writing one codec against these types,
 * never a translator per pair.
 *
 * @module
 */

/** The wire formats Switchyard speaks, to clients and to upstreams. */
export type FormatName = 'openai' | 'anthropic' | 'gemini' | 'openai-responses';

export const FORMAT_NAMES = ['openai', 'anthropic', 'gemini', 'openai-responses'] as const satisfies readonly FormatName[];

/** Image content: inline base64 data or a URL the upstream fetches itself. */
export type IRImageSource =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'url'; url: string };

/** One piece of message content. */
export type IRPart =
  | { type: 'text'; text: string }
  | { type: 'image'; source: IRImageSource }
  /** A model's request to call a tool. `arguments` is JSON text (possibly partial while streaming). */
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  /**
   * The outcome of a tool call, sent back by the client. `name` is the tool's name (Gemini keys
   * results by name, so decoders fill it from the matching call when the wire lacks it).
   */
  | { type: 'tool_result'; toolCallId: string; name: string; content: string; isError?: boolean }
  /**
   * Model reasoning, where a format carries it. `signature` is the upstream's opaque proof of it
   * that must go back with it: Anthropic's `signature`, Gemini's `thoughtSignature`, Responses'
   * `encrypted_content`.
   */
  | { type: 'thinking'; text: string; signature?: string };

/**
 * A turn of the conversation. Tool results travel in `user` messages (Anthropic's model);
 * decoders fold OpenAI `tool` messages and Gemini `function` turns into that shape.
 */
export interface IRMessage {
  role: 'user' | 'assistant';
  content: IRPart[];
}

/** A tool the model may call; `parameters` is a JSON Schema object. */
export interface IRTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  /**
   * OpenAI's strict mode: the arguments always match `parameters` exactly. Absent (or false)
   * means not strict, the default of every format but Responses; only OpenAI Chat and Responses
   * can ask for it, the other encoders report it dropped.
   */
  strict?: boolean;
}

export type IRToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  /** The model must call some tool (OpenAI `required`, Anthropic `any`, Gemini mode `ANY`). */
  | { type: 'required' }
  | { type: 'tool'; name: string };

/** The reasoning efforts of the level<->budget table (`reasoning.ts`), least to most. */
export type ReasoningLevel = 'minimal' | 'low' | 'medium' | 'high';

/**
 * How much the model should reason before answering, as the client (or a thinking suffix on
 * the model name) asked it: a budget in tokens (Anthropic `budget_tokens`, Gemini
 * `thinkingBudget`), an effort level (OpenAI `reasoning_effort`), off, or the upstream's dynamic
 * default. Each form is kept as asked; the table in `reasoning.ts` converts between a level and
 * a budget only when an upstream takes the other one.
 */
export type IRReasoning =
  /** A budget of thinking tokens, a positive integer (a budget of 0 is `off`, -1 is `auto`). */
  | { mode: 'budget'; budget: number }
  | { mode: 'level'; level: ReasoningLevel }
  /** No reasoning (OpenAI `none`, Anthropic `disabled`, Gemini budget 0). */
  | { mode: 'off' }
  /** The upstream decides how much to reason (Gemini budget -1, Anthropic `adaptive`). */
  | { mode: 'auto' };

/**
 * Structured output the client asked for: any JSON object, or one matching a JSON Schema
 * (OpenAI Chat `response_format`, Responses `text.format`, Gemini `responseJsonSchema`).
 */
export type IRResponseFormat =
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean };

/** A chat request, independent of wire format. */
export interface IRRequest {
  /** The model name as the client sent it (path parameter for Gemini). */
  model: string;
  /** System prompt text; several system blocks are joined with a blank line. */
  system?: string;
  messages: IRMessage[];
  tools?: IRTool[];
  toolChoice?: IRToolChoice;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  stream: boolean;
  /** End-user identifier (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  /** The reasoning the client asked for, absent when it set none (the upstream's default). */
  reasoning?: IRReasoning;
  /** Structured output, absent for plain text. */
  responseFormat?: IRResponseFormat;
}

/** Why generation stopped. */
export type IRStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_calls'
  | 'content_filter'
  | 'other';

export interface IRUsage {
  /** All input tokens, cached ones included (OpenAI `prompt_tokens`, Gemini `promptTokenCount`). */
  inputTokens: number;
  outputTokens: number;
  /** The part of `inputTokens` served from a prompt cache, where the upstream reports it. */
  cachedInputTokens?: number;
}

/** A complete (non-stream) answer. `content` holds text, thinking and tool_call parts in order. */
export interface IRResponse {
  id: string;
  model: string;
  content: IRPart[];
  stopReason: IRStopReason;
  stopSequence?: string;
  usage: IRUsage;
}

/**
 * Format-neutral stream events. Decoders emit them in upstream order; encoders turn them into
 * client events. `finish` and `usage` may arrive in either order and only once each; an
 * encoder emits its format's terminal events from `end()`, when both are known.
 */
export type IRStreamEvent =
  | { type: 'start'; id: string; model: string }
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string; signature?: string }
  /** A new tool call; `index` numbers tool calls of this response from 0. */
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; arguments: string }
  | { type: 'finish'; stopReason: IRStopReason; stopSequence?: string }
  | { type: 'usage'; usage: IRUsage };
