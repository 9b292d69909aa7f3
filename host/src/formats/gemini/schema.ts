/**
 * Zod schemas of the Gemini `generateContent` wire shapes: the client request body and the
 * upstream response (also each `alt=sse` stream chunk).
 *
 * The `@google/genai` SDK sends camelCase JSON, but the REST API also accepts the proto field
 * names in snake_case (`inline_data`, `function_call`, `generation_config` ...), and clients such
 * as curl scripts or LiteLLM use them. Every field we map is therefore accepted under both names
 * ({@link dual}); parts are normalised to camelCase here so the codec reads one shape. Objects are
 * loose: unknown fields pass validation and are reported as `unmapped` by the decoder.
 *
 * @module
 */
import { z } from 'zod';

/** Both spellings of one field, each optional: `{ camel?: T, snake?: T }`. */
function dual<C extends string, S extends string, T extends z.ZodType>(camel: C, snake: S, schema: T) {
  return { [camel]: schema.optional(), [snake]: schema.optional() } as { [K in C | S]: z.ZodOptional<T> };
}

/** A JSON object (`google.protobuf.Struct` on the wire: function args, responses, schemas). */
const jsonObject = z.record(z.string(), z.unknown());

const blobSchema = z
  .looseObject({ ...dual('mimeType', 'mime_type', z.string()), data: z.string() })
  .refine((b) => (b.mimeType ?? b.mime_type) !== undefined, { message: 'required', path: ['mimeType'] })
  .transform((b) => ({ mimeType: (b.mimeType ?? b.mime_type)!, data: b.data }));

const fileDataSchema = z
  .looseObject({ ...dual('mimeType', 'mime_type', z.string()), ...dual('fileUri', 'file_uri', z.string()) })
  .refine((f) => (f.fileUri ?? f.file_uri) !== undefined, { message: 'required', path: ['fileUri'] })
  .transform((f) => ({ mimeType: f.mimeType ?? f.mime_type, fileUri: (f.fileUri ?? f.file_uri)! }));

const functionCallSchema = z.looseObject({ id: z.string().optional(), name: z.string(), args: jsonObject.optional() });

const functionResponseSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  response: jsonObject.optional(),
});

/** Part keys the codec understands; any other key of a part is reported as unmapped. */
const KNOWN_PART_KEYS = new Set([
  'text', 'thought', 'thoughtSignature', 'thought_signature', 'inlineData', 'inline_data',
  'fileData', 'file_data', 'functionCall', 'function_call', 'functionResponse', 'function_response',
]);

/** One `Part`, normalised to camelCase; `other` lists the keys the codec does not map. */
export const partSchema = z
  .looseObject({
    text: z.string().optional(),
    thought: z.boolean().optional(),
    ...dual('thoughtSignature', 'thought_signature', z.string()),
    ...dual('inlineData', 'inline_data', blobSchema),
    ...dual('fileData', 'file_data', fileDataSchema),
    ...dual('functionCall', 'function_call', functionCallSchema),
    ...dual('functionResponse', 'function_response', functionResponseSchema),
  })
  .transform((p) => ({
    text: p.text,
    thought: p.thought,
    thoughtSignature: p.thoughtSignature ?? p.thought_signature,
    inlineData: p.inlineData ?? p.inline_data,
    fileData: p.fileData ?? p.file_data,
    functionCall: p.functionCall ?? p.function_call,
    functionResponse: p.functionResponse ?? p.function_response,
    other: Object.keys(p).filter((k) => !KNOWN_PART_KEYS.has(k)),
  }));

/** A validated part, camelCase. */
export type WirePart = z.output<typeof partSchema>;

/** `Content`. Role is optional on the wire (single-turn requests omit it; it means `user`). */
const contentSchema = z.looseObject({
  role: z.enum(['user', 'model', 'function']).optional(),
  parts: z.array(partSchema),
});

/** `systemInstruction`: a Content whose role is ignored (the SDK sends `user`). */
const systemSchema = z.looseObject({ role: z.string().optional(), parts: z.array(partSchema) });

const functionDeclarationSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  parameters: jsonObject.optional(),
  ...dual('parametersJsonSchema', 'parameters_json_schema', jsonObject),
});

const toolSchema = z.looseObject({
  ...dual('functionDeclarations', 'function_declarations', z.array(functionDeclarationSchema)),
});

const functionCallingConfigSchema = z.looseObject({
  mode: z.enum(['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']).optional(),
  ...dual('allowedFunctionNames', 'allowed_function_names', z.array(z.string())),
});

const toolConfigSchema = z.looseObject({
  ...dual('functionCallingConfig', 'function_calling_config', functionCallingConfigSchema),
});

/** `thinkingConfig`: a budget (0 off, -1 dynamic) or, on Gemini 3, a level; `includeThoughts` is not mapped. */
const thinkingConfigSchema = z.looseObject({
  ...dual('thinkingBudget', 'thinking_budget', z.number().int().min(-1)),
  ...dual('thinkingLevel', 'thinking_level', z.string()),
});

const generationConfigSchema = z.looseObject({
  ...dual('maxOutputTokens', 'max_output_tokens', z.number().int()),
  temperature: z.number().optional(),
  ...dual('topP', 'top_p', z.number()),
  ...dual('topK', 'top_k', z.number()),
  ...dual('stopSequences', 'stop_sequences', z.array(z.string())),
  ...dual('thinkingConfig', 'thinking_config', thinkingConfigSchema),
});

/** A `generateContent` / `streamGenerateContent` request body (model and stream are in the URL). */
export const requestSchema = z.looseObject({
  contents: z.array(contentSchema),
  ...dual('systemInstruction', 'system_instruction', systemSchema),
  tools: z.array(toolSchema).optional(),
  ...dual('toolConfig', 'tool_config', toolConfigSchema),
  ...dual('generationConfig', 'generation_config', generationConfigSchema),
});

/** A validated client request body. */
export type WireRequest = z.output<typeof requestSchema>;

const usageSchema = z.looseObject({
  promptTokenCount: z.number().optional(),
  candidatesTokenCount: z.number().optional(),
  cachedContentTokenCount: z.number().optional(),
  thoughtsTokenCount: z.number().optional(),
  toolUsePromptTokenCount: z.number().optional(),
  totalTokenCount: z.number().optional(),
});

/** Validated `usageMetadata`. */
export type WireUsage = z.output<typeof usageSchema>;

/** A `GenerateContentResponse`: a whole answer, or one `alt=sse` chunk of one. */
export const responseSchema = z.looseObject({
  candidates: z
    .array(
      z.looseObject({
        content: z.looseObject({ role: z.string().optional(), parts: z.array(partSchema).optional() }).optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
  usageMetadata: usageSchema.optional(),
  modelVersion: z.string().optional(),
  responseId: z.string().optional(),
});

/** A validated upstream response or stream chunk. */
export type WireResponse = z.output<typeof responseSchema>;
