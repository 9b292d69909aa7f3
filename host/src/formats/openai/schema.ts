/**
 * Zod schemas of the OpenAI Chat Completions bodies: the client request (what the official
 * `openai` SDK sends) and the upstream response and stream chunk (what OpenAI-compatible
 * upstreams return). Fields we do not map never fail validation (objects are loose; the stream
 * chunk's strip them); only the types of mapped fields are checked, so a 400 names exactly the
 * field the client got wrong.
 *
 * @module
 */
import { z } from 'zod';

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }),
});

/** A `text` content part. */
export type TextPart = z.infer<typeof textPart>;
/** An `image_url` content part. */
export type ImagePart = z.infer<typeof imagePart>;

/**
 * Validates `value` against the schema registered for its `type`, if any. Unknown types pass
 * untouched (the decoder drops and reports them) — a discriminated union would reject them, a
 * plain union would accept a malformed known part as "unknown" and lose the field name.
 * `fallback` is the type assumed when a client omits it.
 */
function byType(known: Record<string, z.ZodType>, fallback?: string) {
  const type = fallback === undefined ? z.string() : z.string().default(fallback);
  return z.looseObject({ type }).superRefine((value, ctx) => {
    const schema = known[value.type];
    const result = schema?.safeParse(value);
    if (result && !result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue });
  });
}

/** A content part; `text` and `image_url` are checked, others (audio, file ...) pass through. */
const contentPart = byType({ text: textPart, image_url: imagePart });

const content = z.union([z.string(), z.array(contentPart)], { error: 'expected string or array' });

const functionToolCall = z.looseObject({
  type: z.literal('function'),
  id: z.string(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
/** An assistant message's function tool call. */
export type FunctionToolCall = z.infer<typeof functionToolCall>;

/** Tool calls of assistant messages; `custom` tool calls pass through to be reported. */
const toolCall = byType({ function: functionToolCall }, 'function');

const messageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.enum(['system', 'developer']), content }),
  z.looseObject({ role: z.literal('user'), content }),
  z.looseObject({
    role: z.literal('assistant'),
    content: content.nullish(),
    tool_calls: z.array(toolCall).nullish(),
    /** DeepSeek-style reasoning echoed back by clients. */
    reasoning_content: z.string().nullish(),
    refusal: z.string().nullish(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string(), content }),
  /** Legacy function-calling result; accepted so old clients get a listing instead of a 400. */
  z.looseObject({ role: z.literal('function'), name: z.string(), content: z.string().nullish() }),
]);
/** One message of the request's `messages`. */
export type OpenAIMessage = z.infer<typeof messageSchema>;

const functionTool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string(),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});
/** A `function` tool definition. */
export type FunctionTool = z.infer<typeof functionTool>;

const toolChoice = z.union(
  [
    z.enum(['auto', 'none', 'required']),
    z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
    // `allowed_tools` and `custom` choices have no IR equivalent; accepted and reported unmapped.
    z.looseObject({ type: z.enum(['allowed_tools', 'custom']) }),
  ],
  { error: 'expected "auto", "none", "required" or a tool choice object' },
);

/** The body of `POST /v1/chat/completions`. */
export const requestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(messageSchema),
  stream: z.boolean().nullish(),
  max_tokens: z.number().int().nullish(),
  max_completion_tokens: z.number().int().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  stop: z.union([z.string(), z.array(z.string())], { error: 'expected string or array of strings' }).nullish(),
  tools: z.array(byType({ function: functionTool }, 'function')).nullish(),
  tool_choice: toolChoice.nullish(),
  user: z.string().nullish(),
  /** `none`, `minimal`, `low`, `medium`, `high`; other words (`xhigh` ...) are reported unmapped. */
  reasoning_effort: z.string().nullish(),
});
/** A validated client request body. */
export type OpenAIRequest = z.infer<typeof requestSchema>;

const usageSchema = z.looseObject({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  /** DeepSeek reports cache hits here instead of `prompt_tokens_details`. */
  prompt_cache_hit_tokens: z.number().nullish(),
});
/** The `usage` object of responses and final stream chunks. */
export type OpenAIUsage = z.infer<typeof usageSchema>;

const responseToolCall = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** An upstream `chat.completion` body. */
export const responseSchema = z.looseObject({
  id: z.string(),
  model: z.string().nullish(),
  choices: z.array(
    z.looseObject({
      index: z.number().nullish(),
      finish_reason: z.string().nullish(),
      message: z.looseObject({
        content: z.string().nullish(),
        refusal: z.string().nullish(),
        reasoning_content: z.string().nullish(),
        /** OpenRouter / newer vLLM name for the same reasoning text. */
        reasoning: z.string().nullish(),
        tool_calls: z.array(responseToolCall).nullish(),
      }),
    }),
  ),
  usage: usageSchema.nullish(),
});
/** A validated upstream response. */
export type OpenAIResponse = z.infer<typeof responseSchema>;

/**
 * An upstream `chat.completion.chunk`; `choices` may be empty, null or absent (usage-only chunk).
 * Unlike the rest of this file its objects strip the fields they do not name: a chunk is only
 * read, never passed on, and copying every chunk's unknown fields (`object`, `created`,
 * `system_fingerprint`, `logprobs` ...) cost as much as the rest of its validation, hundreds of
 * times a stream.
 */
export const chunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        finish_reason: z.string().nullish(),
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            reasoning: z.string().nullish(),
            tool_calls: z.array(responseToolCall.extend({ index: z.number().nullish() })).nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
});
/** A validated upstream stream chunk. */
export type OpenAIChunk = z.infer<typeof chunkSchema>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown) => v == null || typeof v === 'string';

/**
 * Whether `value` is a chunk of text (or finish) that {@link chunkSchema} accepts as it is: no
 * tool calls and no usage, strings and finite numbers where the schema wants them. Most chunks
 * of a stream are such, and this costs a tenth of the schema's check and copies nothing; any
 * other value is left to the schema, which also says what is wrong. What this accepts is a part
 * of what the schema accepts (a test holds it to that), and the decoder reads only the fields
 * the schema names, so the extra fields the schema would strip change nothing.
 */
export function isTextChunk(value: unknown): value is OpenAIChunk {
  if (!isObject(value) || !isText(value.id) || !isText(value.model) || value.usage != null) return false;
  const choices = value.choices;
  if (choices == null) return true;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) {
    if (!isObject(choice) || !isText(choice.finish_reason)) return false;
    if (choice.index != null && !(typeof choice.index === 'number' && Number.isFinite(choice.index))) return false;
    const delta = choice.delta;
    if (delta == null) continue;
    if (!isObject(delta) || delta.tool_calls != null) return false;
    if (!isText(delta.content) || !isText(delta.refusal) || !isText(delta.reasoning_content) || !isText(delta.reasoning)) return false;
  }
  return true;
}
