// @ts-check
/**
 * prompt-guard: stops secrets pasted into prompts (API keys, private keys) from leaving for an
 * upstream, where they would be logged, retained and possibly trained on. It runs `beforeAuth`,
 * on the client's own body, and either rejects the request (400, in the client's error shape,
 * naming the kind of secret but never echoing it) or redacts the matches and lets it through.
 *
 * Its package defaults say `failClosed: true`: if the guard itself fails (a bug, a bad pattern
 * in its config), requests fail with 503 instead of going out unchecked.
 */

/**
 * @typedef {string | { name?: string, pattern: string }} PatternSpec
 * @typedef {object} Config
 * @property {PatternSpec[]} [patterns] regex sources (or `{name, pattern}`) replacing the defaults
 * @property {'reject' | 'redact'} [action] what a match does (default `reject`)
 * @property {string} [replacement] what `redact` puts in place of a match (default `[REDACTED]`)
 * @typedef {{ name: string, re: RegExp }} Pattern
 * @typedef {{ patterns: Pattern[], action: 'reject' | 'redact', replacement: string }} Settings
 */

/** @type {{ name: string, pattern: string }[]} */
const DEFAULT_PATTERNS = [
  // Before the OpenAI one, which matches Anthropic keys too: the first match names the secret.
  { name: 'Anthropic API key', pattern: 'sk-ant-[A-Za-z0-9_-]{20,}' },
  { name: 'OpenAI API key', pattern: 'sk-[A-Za-z0-9_-]{20,}' },
  { name: 'AWS access key id', pattern: 'AKIA[0-9A-Z]{16}' },
  { name: 'GitHub token', pattern: 'gh[pousr]_[A-Za-z0-9]{36}' },
  { name: 'Google API key', pattern: 'AIza[0-9A-Za-z_-]{35}' },
  // The BEGIN line detects it; the match runs on to the END line (or the end of the text, for a
  // pasted fragment), so that `redact` removes the key material and not just its header.
  { name: 'private key block', pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)' },
];

/**
 * Compiles the config. Throws a message naming the key on anything malformed.
 * @param {Config | undefined} config
 * @returns {Settings}
 */
function parseConfig(config) {
  const { patterns = DEFAULT_PATTERNS, action = 'reject', replacement = '[REDACTED]' } = config ?? {};
  if (action !== 'reject' && action !== 'redact') throw new Error(`config.action must be 'reject' or 'redact', not ${JSON.stringify(action)}`);
  if (typeof replacement !== 'string') throw new Error('config.replacement must be a string');
  if (!Array.isArray(patterns) || patterns.length === 0) throw new Error('config.patterns must be a non-empty list');
  const compiled = patterns.map((spec, i) => {
    const { name, pattern } = typeof spec === 'string' ? { name: spec, pattern: spec } : (spec ?? {});
    try {
      return { name: typeof name === 'string' ? name : pattern, re: new RegExp(pattern, 'g') };
    } catch (err) {
      throw new Error(`config.patterns[${i}]: ${/** @type {Error} */ (err).message}`);
    }
  });
  return { patterns: compiled, action, replacement };
}

/** Keys holding media payloads (Gemini inline data, OpenAI input audio). */
const MEDIA_KEYS = new Set(['inlineData', 'inline_data', 'input_audio']);

/**
 * A copy of `value` with every text string passed through `edit`. Media payloads (base64
 * images, audio, data URLs) are left alone: they are not prompt text, and rewriting them would
 * corrupt the file.
 * @param {unknown} value @param {(text: string) => string} edit @returns {unknown}
 */
function mapTexts(value, edit) {
  if (typeof value === 'string') return value.startsWith('data:') ? value : edit(value);
  if (Array.isArray(value)) return value.map((item) => mapTexts(item, edit));
  if (value === null || typeof value !== 'object') return value;
  const isBase64Source = /** @type {{ type?: unknown }} */ (value).type === 'base64';
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, inner] of Object.entries(value)) {
    const media = MEDIA_KEYS.has(key) || (isBase64Source && key === 'data');
    out[key] = media ? inner : mapTexts(inner, edit);
  }
  return out;
}

/** The error body each client format's SDK understands, so the client raises a readable error. */
const ERROR_BODY = {
  openai: (/** @type {string} */ message) => ({ error: { message, type: 'invalid_request_error', code: 'prompt_guard' } }),
  anthropic: (/** @type {string} */ message) => ({ type: 'error', error: { type: 'invalid_request_error', message } }),
  gemini: (/** @type {string} */ message) => ({ error: { code: 400, message, status: 'INVALID_ARGUMENT' } }),
};

/** @type {Settings | undefined} */
let settings;
/** Why the config is unusable; every call then fails, which `failClosed` turns into a 503. */
let configError = '';

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config>} */
export default {
  // Setup never throws: a plugin whose setup fails is not loaded at all, and an unloaded guard
  // lets everything through. Failing each call instead keeps a misconfigured guard closed.
  setup(ctx) {
    try {
      settings = parseConfig(ctx.config);
    } catch (err) {
      settings = undefined;
      configError = `prompt-guard is misconfigured: ${/** @type {Error} */ (err).message}`;
      ctx.log.error(configError);
    }
  },

  requestInterceptor: {
    phase: 'beforeAuth',
    intercept(req, ctx) {
      if (!settings) throw new Error(configError || 'prompt-guard was not set up');
      const { patterns, action, replacement } = settings;
      /** @type {Set<string>} */
      const found = new Set();
      const body = mapTexts(req.body, (text) => {
        let out = text;
        for (const { name, re } of patterns) {
          re.lastIndex = 0; // `g` regexes keep their position between calls
          if (!re.test(out)) continue;
          found.add(name);
          // Replaced in reject mode too, so a later pattern cannot match the same secret again
          // (an Anthropic key is also OpenAI-shaped) and the message names it once.
          out = out.replace(re, replacement);
        }
        return out;
      });
      if (found.size === 0) return undefined;
      const names = [...found];
      // Names only: the log must not become the place the secret leaks to.
      const fields = { requestId: req.requestId, patterns: names };
      if (action === 'redact') {
        ctx.log.info('prompt-guard redacted secrets from a request', fields);
        return { body, headers: { 'x-prompt-guard': 'redacted' } };
      }
      ctx.log.warn('prompt-guard rejected a request', fields);
      const message = `prompt-guard: the request was blocked because it contains what looks like a secret (${names.join(', ')}). Remove it and try again.`;
      return { reject: { status: 400, body: ERROR_BODY[req.sourceFormat](message), headers: { 'x-prompt-guard': 'rejected' } } };
    },
  },
};
