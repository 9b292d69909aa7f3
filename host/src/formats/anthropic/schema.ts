/**
 * Zod schemas of an Anthropic Messages request body (`POST /v1/messages`) as clients send it,
 * and of the upstream's non-stream response.
 *
 * Objects are loose so fields the gateway does not map (`cache_control`, `citations`, new API
 * fields) pass through; the schema is strict only about the types of fields the codec reads.
 * Content blocks, tools and image sources of types the IR cannot carry are not rejected: they are
 * normalised to an `{ type: 'other', originalType }` marker so the decoder can drop them and
 * report them in `unmapped`.
 *
 * @module
 */
import { z } from 'zod';

/** Marker for a block or tool of a type the codec does not map; the decoder drops it. */
const otherSchema = z.object({ type: z.literal('other'), originalType: z.string() });

/**
 * Wraps a discriminated union so that objects whose string `type` is not one of `known` become
 * the `other` marker instead of failing validation (unknown types are reported, not rejected).
 */
function openUnion<const T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  known: readonly string[],
  options: T,
) {
  return z.preprocess(
    (value) => {
      if (typeof value !== 'object' || value === null) return value;
      const type = (value as { type?: unknown }).type;
      return typeof type === 'string' && !known.includes(type) ? { type: 'other', originalType: type } : value;
    },
    z.discriminatedUnion('type', [...options, otherSchema], { error: 'expected an object with a string `type`' }),
  );
}

/** `string | Block[]`: a plain string is shorthand for one text block, so it is normalised here. */
function stringOrBlocks<T extends z.ZodType>(block: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? [{ type: 'text', text: value }] : value),
    z.array(block, { error: 'expected string or array of content blocks' }),
  );
}

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });

const imageSource = openUnion(
  ['base64', 'url'],
  [
    z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal('url'), url: z.string() }),
  ],
);
const imageBlock = z.looseObject({ type: z.literal('image'), source: imageSource });

/** Blocks allowed inside a `tool_result`'s `content` array (only text survives into the IR). */
const toolResultContentBlock = openUnion(['text', 'image'], [textBlock, imageBlock]);

const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: stringOrBlocks(toolResultContentBlock).optional(),
  is_error: z.boolean().nullish(),
});

const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

const thinkingBlock = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().nullish(),
});

/** A message content block. `redacted_thinking`, documents, server-tool blocks ... become `other`. */
export const contentBlockSchema = openUnion(
  ['text', 'image', 'tool_use', 'tool_result', 'thinking'],
  [textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock],
);

/** A client tool (`type` absent or `custom`); server tools (`web_search_20250305` ...) become `other`. */
const customTool = z.looseObject({
  type: z.literal('custom'),
  name: z.string(),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()),
});

const toolSchema = z.preprocess(
  // A tool without `type` is a custom tool; give it the discriminator the union needs.
  (value) =>
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type == null
      ? { ...value, type: 'custom' }
      : value,
  openUnion(['custom'], [customTool]),
);

const toolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('none') }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().nullish() }),
]);

/** `thinking`: extended thinking with a budget, off, or adaptive (the model decides); other types become `other`. */
const thinkingSchema = openUnion(
  ['enabled', 'disabled', 'adaptive'],
  [
    z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(0) }),
    z.looseObject({ type: z.literal('disabled') }),
    z.looseObject({ type: z.literal('adaptive') }),
  ],
);

const messageSchema = z.looseObject({
  // `system` messages inside `messages` are accepted by the API and typed by the SDK (1.12).
  role: z.enum(['user', 'assistant', 'system']),
  content: stringOrBlocks(contentBlockSchema),
});

/**
 * The request body. `model` is optional here so that a body with several bad fields reports the
 * field the client most likely got wrong; the decoder reports a missing model itself.
 */
export const requestSchema = z.looseObject({
  messages: z.array(messageSchema),
  model: z.string().optional(),
  max_tokens: z.number().int().nullish(),
  system: stringOrBlocks(textBlock).nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  top_k: z.number().int().nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  stream: z.boolean().nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  thinking: thinkingSchema.nullish(),
});

const usageSchema = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});

/** An upstream (non-stream) Messages response; server-tool and redacted blocks become `other`. */
export const responseSchema = z.looseObject({
  id: z.string(),
  model: z.string(),
  content: z.array(openUnion(['text', 'thinking', 'tool_use'], [textBlock, thinkingBlock, toolUseBlock])),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: usageSchema,
});

/** The validated request body. */
export type AnthropicRequestBody = z.output<typeof requestSchema>;
/** One validated message content block (unknown types as `{ type: 'other' }`). */
export type AnthropicContentBlock = z.output<typeof contentBlockSchema>;
