// @ts-check
/**
 * long-context-router: sends a request whose prompt is too long for the model the client asked
 * for to a long-context model instead (claude-code-router's `longContext` route).
 *
 * The size is an estimate, about four characters a token, over every text in the body whatever
 * the client's format: a tokenizer per upstream would cost more than the routing decision is
 * worth, and the threshold is a rough line anyway.
 */

/**
 * @typedef {object} Config
 * @property {string} [target] the model (any name the host resolves: a model, an alias, a
 *   virtual model, `provider/model`) long requests go to; without it the router passes
 * @property {number} [thresholdTokens] estimated tokens above which a request is long (100000)
 * @property {string[]} [models] requested models the router applies to (default: all)
 */

/** @typedef {{ target: string | undefined, thresholdTokens: number, models: Set<string> | undefined }} Settings */

const CHARS_PER_TOKEN = 4;

/**
 * Where each format keeps what the model reads: the conversation, the system prompt and the
 * tool definitions (which count against the context window as much as messages do).
 * @type {Record<string, (body: any) => unknown[]>}
 */
const PROMPT_PARTS = {
  openai: (b) => [b.messages, b.tools, b.functions],
  anthropic: (b) => [b.system, b.messages, b.tools],
  gemini: (b) => [b.systemInstruction ?? b.system_instruction, b.contents, b.tools],
};

/** Keys whose values are not read as text: roles, ids and the like are structure, media is not text. */
const SKIP_KEYS = new Set(['role', 'type', 'id', 'tool_call_id', 'tool_use_id', 'cache_control', 'mimeType', 'mime_type', 'media_type',
  'image_url', 'input_audio', 'file', 'inlineData', 'inline_data', 'fileData', 'file_data']);
/** Structured values the model reads as JSON: tool call arguments, tool results, tool schemas. */
const JSON_KEYS = new Set(['input', 'args', 'response', 'parameters', 'input_schema', 'parametersJsonSchema', 'parameters_json_schema']);

/** Characters of text in `value`: string leaves, plus structured tool data as its JSON. */
function charsOf(/** @type {unknown} */ value) {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum, item) => sum + charsOf(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  // An Anthropic base64 image or document source is media, not text.
  if (/** @type {{ type?: unknown }} */ (value).type === 'base64') return 0;
  let sum = 0;
  for (const [key, inner] of Object.entries(value)) {
    if (SKIP_KEYS.has(key)) continue;
    sum += JSON_KEYS.has(key) && inner !== null && typeof inner === 'object' ? JSON.stringify(inner).length : charsOf(inner);
  }
  return sum;
}

/**
 * The estimated prompt tokens of a request body in `format`.
 * @param {string} format @param {unknown} body
 */
function estimateTokens(format, body) {
  if (body === null || typeof body !== 'object') return 0;
  const parts = PROMPT_PARTS[format]?.(body) ?? [body];
  return Math.ceil(charsOf(parts) / CHARS_PER_TOKEN);
}

/**
 * Validates the config once per worker. A wrong type throws, so the plugin does not start (a
 * config change to it keeps the previous generation serving) and the reason is in the host's log.
 * @param {Config | undefined} config
 * @returns {Settings}
 */
function parseConfig(config) {
  const { target, thresholdTokens = 100_000, models } = config ?? {};
  if (target !== undefined && (typeof target !== 'string' || target === '')) throw new Error('config.target must be a model name');
  if (typeof thresholdTokens !== 'number' || !(thresholdTokens > 0)) throw new Error('config.thresholdTokens must be a positive number');
  if (models !== undefined && !(Array.isArray(models) && models.every((m) => typeof m === 'string'))) {
    throw new Error('config.models must be a list of model names');
  }
  return { target, thresholdTokens, models: models && new Set(models) };
}

/** @type {Settings} */
let settings = parseConfig(undefined);

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config>} */
export default {
  setup(ctx) {
    settings = parseConfig(ctx.config);
    if (!settings.target) ctx.log.warn('long-context-router has no config.target: it passes every request');
  },

  modelRouter(req) {
    const { target, thresholdTokens, models } = settings;
    // Already going to the target: nothing to change (and nothing for the log to explain).
    if (!target || req.requestedModel === target) return { handled: false };
    if (models && !models.has(req.requestedModel)) return { handled: false };
    const tokens = estimateTokens(req.sourceFormat, req.body);
    if (tokens <= thresholdTokens) return { handled: false };
    return { handled: true, targetKind: 'model', target, reason: `estimated ${tokens} tokens > ${thresholdTokens}` };
  },
};
