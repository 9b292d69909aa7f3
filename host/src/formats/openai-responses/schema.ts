/**
 * Zod schemas of the OpenAI Responses API bodies: the client request (`POST /v1/responses`) and
 * the upstream Response. Objects are loose, so fields we do not map never fail validation; only
 * the types of mapped fields are checked, so a 400 names exactly the field at fault.
 *
 * @module
 */
import { z } from 'zod';

const inputText = z.looseObject({ type: z.enum(['input_text', 'output_text']), text: z.string() });
const inputImage = z.looseObject({ type: z.literal('input_image'), image_url: z.string().nullish(), file_id: z.string().nullish() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

/** A content part: known ones are checked, others (`input_file`, `input_audio` ...) pass to be reported. */
const contentPart = z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
  const schema = ({ input_text: inputText, output_text: inputText, input_image: inputImage, refusal } as Record<string, z.ZodType>)[value.type];
  const result = schema?.safeParse(value);
  if (result && !result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue });
});
export type ContentPart = z.infer<typeof contentPart>;

const message = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)], { error: 'expected string or array' }),
});
const functionCall = z.looseObject({ type: z.literal('function_call'), call_id: z.string(), name: z.string(), arguments: z.string() });
const functionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.union([z.string(), z.array(contentPart)], { error: 'expected string or array' }),
});
const reasoning = z.looseObject({
  type: z.literal('reasoning'),
  summary: z.array(z.looseObject({ text: z.string() })).nullish(),
  content: z.array(z.looseObject({ text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
});

/** One input item; a message may omit `type`. Unknown item types pass, to be reported. */
export const inputItem = z.looseObject({ type: z.string().optional() }).superRefine((value, ctx) => {
  const type = value.type ?? 'message';
  const schema = ({ message, function_call: functionCall, function_call_output: functionCallOutput, reasoning } as Record<string, z.ZodType>)[type];
  const result = schema?.safeParse(value);
  if (result && !result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue });
});
export type MessageItem = z.infer<typeof message>;
export type FunctionCallItem = z.infer<typeof functionCall>;
export type FunctionCallOutputItem = z.infer<typeof functionCallOutput>;
export type ReasoningItem = z.infer<typeof reasoning>;

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type FunctionTool = z.infer<typeof functionTool>;

/** A tool: function tools are checked, built-in ones (`web_search`, `mcp` ...) pass to be reported. */
const tool = z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
  if (value.type !== 'function') return;
  const result = functionTool.safeParse(value);
  if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue });
});

const toolChoice = z.union(
  [z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.string(), name: z.string().optional() })],
  { error: 'expected "auto", "none", "required" or a tool choice object' },
);

/** The body of `POST /v1/responses`. */
export const requestSchema = z.looseObject({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(inputItem)], { error: 'expected string or array of items' }).optional(),
  instructions: z.string().nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  max_output_tokens: z.number().int().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  stream: z.boolean().nullish(),
  user: z.string().nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish() }).nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).nullish() }).nullish(),
});
export type ResponsesRequest = z.infer<typeof requestSchema>;
export { functionTool };

const usage = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});
export type ResponsesUsage = z.infer<typeof usage>;

const outputItem = z.looseObject({
  type: z.string(),
  id: z.string().nullish(),
  /** Messages: output_text and refusal parts; reasoning: reasoning_text parts. */
  content: z.array(z.looseObject({ type: z.string(), text: z.string().nullish(), refusal: z.string().nullish() })).nullish(),
  call_id: z.string().nullish(),
  name: z.string().nullish(),
  arguments: z.string().nullish(),
  summary: z.array(z.looseObject({ text: z.string().nullish() })).nullish(),
  encrypted_content: z.string().nullish(),
});
export type OutputItem = z.infer<typeof outputItem>;

/** An upstream Response object. */
export const responseSchema = z.looseObject({
  id: z.string(),
  model: z.string().nullish(),
  status: z.string().nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  output: z.array(outputItem),
  usage: usage.nullish(),
});
export type ResponsesResponse = z.infer<typeof responseSchema>;
