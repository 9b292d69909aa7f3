/**
 * Gemini `generateContent` request body <-> IR request. The model and the stream flag are not
 * in a Gemini body: they come from the URL (`models/{model}:streamGenerateContent?alt=sse`), so
 * the decoder takes them from {@link DecodeOptions} and the encoder leaves them out.
 *
 * @module
 */
import type { DecodeOptions, DecodedRequest, EncodedBody } from '../wire-format.js';
import type { IRMessage, IRReasoning, IRRequest, IRTool, IRToolChoice } from '../ir.js';
import { reasoningBudget, reasoningFromBudget, reasoningFromWord } from '../reasoning.js';
import { parseBody } from '../validate.js';
import { gatewayError } from '../../errors/registry.js';
import { encodeParts, PartDecoder } from './mapping.js';
import { requestSchema, type WireRequest } from './schema.js';

/** Top-level fields the decoder maps (both spellings); `model` is transport if a client sends it. */
const MAPPED_TOP = new Set([
  'contents', 'systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config',
  'generationConfig', 'generation_config', 'model',
]);
const MAPPED_GENERATION = new Set([
  'maxOutputTokens', 'max_output_tokens', 'temperature', 'topP', 'top_p', 'topK', 'top_k', 'stopSequences', 'stop_sequences',
  'thinkingConfig', 'thinking_config',
]);
const MAPPED_THINKING = new Set(['thinkingBudget', 'thinking_budget', 'thinkingLevel', 'thinking_level']);
const MAPPED_TOOL = new Set(['functionDeclarations', 'function_declarations']);
const MAPPED_TOOL_CONFIG = new Set(['functionCallingConfig', 'function_calling_config']);

/** Adds `prefix.key` to `unmapped` for every key of `obj` not in `mapped`. */
function addUnmapped(unmapped: Set<string>, prefix: string, obj: object, mapped: Set<string>): void {
  for (const key of Object.keys(obj)) if (!mapped.has(key)) unmapped.add(prefix ? `${prefix}.${key}` : key);
}

/** Lowercases OpenAPI `type` enums (`OBJECT`, `STRING`: the SDK's `Type`) so the schema is JSON Schema. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (key === 'type' && typeof value === 'string') return [key, value.toLowerCase()];
      // Literal values are data, not schemas.
      if (key === 'enum' || key === 'default' || key === 'example' || key === 'const') return [key, value];
      return [key, toJsonSchema(value)];
    }),
  );
}

function decodeTools(body: WireRequest, unmapped: Set<string>): IRTool[] | undefined {
  const tools: IRTool[] = [];
  for (const tool of body.tools ?? []) {
    addUnmapped(unmapped, 'tools[]', tool, MAPPED_TOOL);
    for (const decl of tool.functionDeclarations ?? tool.function_declarations ?? []) {
      const schema = decl.parametersJsonSchema ?? decl.parameters_json_schema ?? toJsonSchema(decl.parameters);
      tools.push({
        name: decl.name,
        ...(decl.description !== undefined && { description: decl.description }),
        // A function without parameters still needs an object schema in the other formats.
        parameters: (schema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
      });
    }
  }
  return tools.length ? tools : undefined;
}

function decodeToolChoice(body: WireRequest, unmapped: Set<string>): IRToolChoice | undefined {
  const toolConfig = body.toolConfig ?? body.tool_config;
  if (!toolConfig) return undefined;
  addUnmapped(unmapped, body.toolConfig ? 'toolConfig' : 'tool_config', toolConfig, MAPPED_TOOL_CONFIG);
  const config = toolConfig.functionCallingConfig ?? toolConfig.function_calling_config;
  const names = config?.allowedFunctionNames ?? config?.allowed_function_names ?? [];
  switch (config?.mode) {
    case 'AUTO':
    case 'VALIDATED': // auto with schema-constrained calls: the closest IR choice
      return { type: 'auto' };
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
      if (names.length === 1) return { type: 'tool', name: names[0]! };
      if (names.length > 1) unmapped.add('toolConfig.functionCallingConfig.allowedFunctionNames');
      return { type: 'required' };
    default:
      return undefined;
  }
}

/** Contents -> IR messages. `function` turns become user turns; consecutive result-only turns merge. */
function decodeMessages(body: WireRequest, parts: PartDecoder): IRMessage[] {
  const messages: IRMessage[] = [];
  const onlyResults = (m: IRMessage | undefined) =>
    m !== undefined && m.role === 'user' && m.content.length > 0 && m.content.every((p) => p.type === 'tool_result');
  for (const content of body.contents) {
    const message: IRMessage = {
      role: content.role === 'model' ? 'assistant' : 'user',
      content: parts.decode(content.parts, 'contents[].parts[]'),
    };
    const last = messages[messages.length - 1];
    if (onlyResults(message) && onlyResults(last)) last!.content.push(...message.content);
    else messages.push(message);
  }
  return messages;
}

type WireGeneration = NonNullable<WireRequest['generationConfig']>;

/**
 * `thinkingConfig` -> IR reasoning: `thinkingBudget` (0 off, -1 auto, N a budget), else Gemini
 * 3's `thinkingLevel` (`low`, `high` ..., any case). `includeThoughts` is reported unmapped, and
 * so is a level when a budget is there too (Gemini accepts only one of them).
 */
function decodeReasoning(gen: WireGeneration, generationKey: string, unmapped: Set<string>): IRReasoning | undefined {
  const config = gen.thinkingConfig ?? gen.thinking_config;
  if (!config) return undefined;
  const path = `${generationKey}.${gen.thinkingConfig ? 'thinkingConfig' : 'thinking_config'}`;
  addUnmapped(unmapped, path, config, MAPPED_THINKING);
  const budget = config.thinkingBudget ?? config.thinking_budget;
  const level = config.thinkingLevel ?? config.thinking_level;
  const levelKey = `${path}.${config.thinkingLevel !== undefined ? 'thinkingLevel' : 'thinking_level'}`;
  if (budget !== undefined) {
    if (level !== undefined) unmapped.add(levelKey);
    return reasoningFromBudget(budget);
  }
  if (level === undefined || level.toUpperCase() === 'THINKING_LEVEL_UNSPECIFIED') return undefined;
  const reasoning = reasoningFromWord(level);
  if (reasoning?.mode === 'level') return reasoning;
  unmapped.add(levelKey);
  return undefined;
}

/** Validates a client body and decodes it; model and stream come from the URL via `options`. */
export function decodeRequest(body: unknown, options: DecodeOptions): DecodedRequest {
  const wire = parseBody(requestSchema, body);
  if (!options.model) throw gatewayError('invalid_body', 'model: required (Gemini takes it from the URL path models/{model})');
  const unmapped = new Set<string>();
  addUnmapped(unmapped, '', wire, MAPPED_TOP);

  const parts = new PartDecoder();
  const systemWire = wire.systemInstruction ?? wire.system_instruction;
  const systemPath = wire.systemInstruction ? 'systemInstruction.parts[]' : 'system_instruction.parts[]';
  const systemTexts = parts
    .decode(systemWire?.parts ?? [], systemPath)
    .flatMap((p) => (p.type === 'text' ? [p.text] : (unmapped.add(`${systemPath}.type=${p.type}`), [])));
  const messages = decodeMessages(wire, parts);
  const tools = decodeTools(wire, unmapped);
  const toolChoice = decodeToolChoice(wire, unmapped);

  const generationKey = wire.generationConfig ? 'generationConfig' : 'generation_config';
  const gen = wire.generationConfig ?? wire.generation_config;
  if (gen) addUnmapped(unmapped, generationKey, gen, MAPPED_GENERATION);
  const maxTokens = gen?.maxOutputTokens ?? gen?.max_output_tokens;
  const topP = gen?.topP ?? gen?.top_p;
  const topK = gen?.topK ?? gen?.top_k;
  const stopSequences = gen?.stopSequences ?? gen?.stop_sequences;
  const reasoning = gen && decodeReasoning(gen, generationKey, unmapped);

  const request: IRRequest = {
    model: options.model,
    ...(systemTexts.length > 0 && { system: systemTexts.join('\n\n') }),
    messages,
    ...(tools && { tools }),
    ...(toolChoice && { toolChoice }),
    ...(maxTokens !== undefined && { maxTokens }),
    ...(gen?.temperature !== undefined && { temperature: gen.temperature }),
    ...(topP !== undefined && { topP }),
    ...(topK !== undefined && { topK }),
    ...(stopSequences !== undefined && { stopSequences }),
    stream: options.stream ?? false,
    ...(reasoning && { reasoning }),
  };
  for (const path of parts.unmapped) unmapped.add(path);
  return { request, unmapped: [...unmapped] };
}

function encodeToolChoice(choice: IRToolChoice): Record<string, unknown> {
  switch (choice.type) {
    case 'auto': return { mode: 'AUTO' };
    case 'none': return { mode: 'NONE' };
    case 'required': return { mode: 'ANY' };
    case 'tool': return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

/**
 * Encodes an IR request as an upstream Gemini body (no model, no stream flag: they go in the
 * URL). Parameters travel as `parametersJsonSchema`, the field the API documents for raw JSON
 * Schema (`parameters` takes Gemini's OpenAPI subset and rejects e.g. `additionalProperties`).
 */
export function encodeRequest(request: IRRequest): EncodedBody {
  const dropped: string[] = [];
  const body: Record<string, unknown> = {};
  if (request.system) body.systemInstruction = { parts: [{ text: request.system }] };
  body.contents = request.messages.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: encodeParts(m.content) }));
  if (request.tools?.length) {
    // Gemini has no strict mode; the schema still guides the model.
    if (request.tools.some((t) => t.strict)) dropped.push('tools.strict');
    body.tools = [{
      functionDeclarations: request.tools.map((t) => ({
        name: t.name,
        ...(t.description !== undefined && { description: t.description }),
        parametersJsonSchema: t.parameters,
      })),
    }];
    if (request.toolChoice) body.toolConfig = { functionCallingConfig: encodeToolChoice(request.toolChoice) };
  } else if (request.toolChoice) {
    // Without function declarations there is nothing for a function calling config to govern.
    dropped.push('toolChoice');
  }
  const generationConfig = {
    ...(request.maxTokens !== undefined && { maxOutputTokens: request.maxTokens }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { topP: request.topP }),
    ...(request.topK !== undefined && { topK: request.topK }),
    ...(request.stopSequences !== undefined && { stopSequences: request.stopSequences }),
    // Structured output: JSON, matching the schema when there is one.
    ...(request.responseFormat && { responseMimeType: 'application/json' }),
    ...(request.responseFormat?.type === 'json_schema' && { responseJsonSchema: request.responseFormat.schema }),
  };
  if (Object.keys(generationConfig).length) body.generationConfig = generationConfig;
  if (request.user !== undefined) dropped.push('user');
  return { body: request.reasoning ? applyReasoning(body, request.reasoning) : body, dropped };
}

type WireObject = Record<string, unknown>;

function isObject(value: unknown): value is WireObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key under which `body` holds the field spelt `camel` or `snake`: the one it uses, else `camel`. */
function keyOf(body: WireObject, camel: string, snake: string): string {
  return body[camel] === undefined && body[snake] !== undefined ? snake : camel;
}

/**
 * `body` with `generationConfig.thinkingConfig.thinkingBudget` for `reasoning`: a budget as it
 * is, a level by the table, 0 for off and -1 for auto. A budget works on every thinking Gemini
 * model (Gemini 3 takes it beside its levels), so a level is sent as its budget too. Whatever
 * budget or level the body had is replaced; the rest of its thinkingConfig (`includeThoughts`)
 * and generationConfig is kept, under the spelling (camel or snake case) the body uses.
 */
export function applyReasoning(body: WireObject, reasoning: IRReasoning): WireObject {
  const generationKey = keyOf(body, 'generationConfig', 'generation_config');
  const generation = isObject(body[generationKey]) ? (body[generationKey] as WireObject) : {};
  const thinkingKey = keyOf(generation, 'thinkingConfig', 'thinking_config');
  const thinking = isObject(generation[thinkingKey]) ? (generation[thinkingKey] as WireObject) : {};
  const { thinkingBudget: _b, thinking_budget: _sb, thinkingLevel: _l, thinking_level: _sl, ...kept } = thinking;
  const thinkingConfig = { ...kept, thinkingBudget: reasoningBudget(reasoning) };
  return { ...body, [generationKey]: { ...generation, [thinkingKey]: thinkingConfig } };
}
