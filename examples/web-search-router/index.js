// @ts-check
/**
 * web-search-router: answers requests that carry a web-search tool with a real web search.
 *
 * - Its **router** spots a web-search tool in the client's body, whatever the format (OpenAI
 *   `web_search` function or `web_search*` tool type, Anthropic `web_search_*` server tool or
 *   tool named `web_search`, Gemini `googleSearch` / `google_search`), and sends the request to
 *   this plugin's own executor, keeping the requested model.
 * - Its **executor** (provider `web-search`, OpenAI format) answers through nested calls into
 *   the host: it asks the model for a search query, runs the query against a Tavily-style search
 *   API, then asks the model again with the results as context and returns that answer with the
 *   sources listed. The host translates the answer back to the client's format.
 *
 * Plain JavaScript with JSDoc types: the host loads it as is, no build step. The SDK is only
 * imported for types (`import('@switchyard/plugin-sdk')` in comments), never at run time.
 *
 * @module
 */

/**
 * The plugin's `config` in its switchyard.yaml item.
 *
 * @typedef {object} Config
 * @property {string} [model] The model that writes the query and the answer (any name the host
 *   resolves: a model, `provider/model`, an alias or a virtual model). Default: the model the
 *   client asked for.
 * @property {string} [searchUrl] Tavily-style search endpoint: `POST {query, max_results}` answers
 *   `{results: [{title, url, content}]}`. Default `https://api.tavily.com/search`.
 * @property {string} [apiKeyEnv] The environment variable holding the search API key, sent as
 *   `Authorization: Bearer`. Default `TAVILY_API_KEY`. The plugin's config item must list it in
 *   `env`, or the worker does not see it.
 * @property {number} [maxResults] Results asked for and given to the model. Default 5.
 * @property {number} [searchTimeoutMs] Deadline of one search call. Default 10000.
 */

/** @typedef {import('@switchyard/plugin-sdk').PluginDefinition<Config>} PluginDefinition */
/** @typedef {import('@switchyard/plugin-sdk').PluginContext<Config>} Context */
/** @typedef {import('@switchyard/plugin-sdk').ExecutorRequest} ExecutorRequest */
/** @typedef {import('@switchyard/plugin-sdk').ExecutorResult} ExecutorResult */
/** @typedef {{ title: string, url: string, content: string }} SearchResult */
/** @typedef {{ role: 'system' | 'user' | 'assistant', content: string }} ChatMessage */
/** @typedef {{ prompt_tokens: number, completion_tokens: number, total_tokens: number }} Usage */
/** @typedef {Required<Omit<Config, 'model'>> & { model: string | undefined }} Settings */

/** The provider key of the executor, and the model it lists. */
const PROVIDER = 'web-search';
const OWN_MODEL = 'web-search';

const QUERY_PROMPT =
  "Write one web search query that finds what is needed to answer the user's message. " +
  'Reply with the query only: no quotes, no explanation.';

/** Longest query sent to the search API, and longest piece of a result's content given to the model. */
const MAX_QUERY_CHARS = 400;
const MAX_CONTENT_CHARS = 1500;

/**
 * Settings of this worker, resolved once in `setup` (every config change starts new workers).
 * @type {Settings}
 */
let settings = resolveSettings(undefined);

/** @type {PluginDefinition} */
const plugin = {
  setup(ctx) {
    settings = resolveSettings(ctx.config);
    if (!process.env[settings.apiKeyEnv]) {
      ctx.log.warn(`${settings.apiKeyEnv} is not set: list it in this plugin's config item "env" (searches fail until then)`);
    }
  },

  // Synchronous and allocation-free on the common path: every request passes through here.
  modelRouter(req) {
    if (!hasWebSearchTool(req.body)) return { handled: false };
    return { handled: true, targetKind: 'self', targetModel: req.requestedModel, reason: 'web-search tool' };
  },

  executor: {
    provider: PROVIDER,
    format: 'openai',
    models: [{ id: OWN_MODEL, displayName: 'Web search (answers with a live web search)' }],

    async execute(req, ctx) {
      const { content, usage } = await answer(req, ctx);
      return {
        body: {
          id: `chatcmpl-websearch-${req.requestId}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: req.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        },
      };
    },

    // The answer exists only once the second model call returned, so it streams as one chunk.
    // Nothing is yielded before that: until the first event the host can still fail over.
    async *stream(req, ctx) {
      const { content, usage } = await answer(req, ctx);
      const base = { id: `chatcmpl-websearch-${req.requestId}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: req.model };
      yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
      yield { ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] };
      yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
      yield { ...base, choices: [], usage };
    },
  },
};

export default plugin;

// ------------------------------------------------------------------------------- routing

/**
 * Whether the client's body declares a web-search tool, in any of the three formats.
 * @param {unknown} body
 */
export function hasWebSearchTool(body) {
  const tools = /** @type {{ tools?: unknown } | null} */ (body)?.tools;
  if (!Array.isArray(tools)) return false;
  for (const tool of tools) if (isWebSearchTool(tool)) return true;
  return false;
}

/** @param {any} tool */
function isWebSearchTool(tool) {
  if (typeof tool !== 'object' || tool === null) return false;
  // OpenAI `web_search` / `web_search_preview`, Anthropic `web_search_20250305` ...
  if (typeof tool.type === 'string' && tool.type.startsWith('web_search')) return true;
  // Anthropic tool named web_search; OpenAI function tool named web_search.
  if (tool.name === 'web_search' || tool.function?.name === 'web_search') return true;
  // Gemini grounding with Google Search, either casing; or a declared web_search function.
  if (tool.googleSearch !== undefined || tool.google_search !== undefined) return true;
  return Array.isArray(tool.functionDeclarations) && tool.functionDeclarations.some((/** @type {any} */ f) => f?.name === 'web_search');
}

// ------------------------------------------------------------------------------- executor

/**
 * Query, search, answer. `req.body` is in OpenAI format (the executor's format), whatever the
 * client spoke.
 * @param {ExecutorRequest} req
 * @param {Context} ctx
 * @returns {Promise<{ content: string, usage: Usage }>}
 */
async function answer(req, ctx) {
  const model = settings.model ?? req.model;
  if (model === OWN_MODEL) {
    throw upstreamError(400, `web-search-router: model "${OWN_MODEL}" needs config.model, the model that writes the query and the answer`);
  }
  const question = lastUserText(req.body);
  if (question === '') throw upstreamError(400, 'web-search-router: the request has no user message to search for');
  /** @type {Usage} */
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

  // 1. The model turns the question into a search query.
  const written = await askModel(ctx, model, [{ role: 'system', content: QUERY_PROMPT }, { role: 'user', content: question }], { max_tokens: 64 }, usage);
  const query = cleanQuery(written) || question.slice(0, MAX_QUERY_CHARS);

  // 2. The search backend.
  const results = await search(query, ctx);
  ctx.log.debug('web search done', { query, results: results.length });

  // 3. The model answers the conversation with the results as context.
  const { system, turns } = conversation(req.body);
  const context = searchContext(query, results);
  const text = await askModel(ctx, model, [{ role: 'system', content: system ? `${system}\n\n${context}` : context }, ...turns], samplingOf(req.body), usage);
  return { content: withSources(text, results), usage };
}

/**
 * One nested, non-stream OpenAI-format request through the host's whole pipeline (routing,
 * interceptors, keys, fallbacks); this plugin's own router is skipped for it.
 * @param {Context} ctx
 * @param {string} model
 * @param {ChatMessage[]} messages
 * @param {Record<string, unknown>} extra
 * @param {Usage} usage added to
 * @returns {Promise<string>}
 */
async function askModel(ctx, model, messages, extra, usage) {
  const result = await ctx.host.executeModel({ format: 'openai', body: { model, messages, ...extra } });
  const body = /** @type {any} */ (result.body);
  if (result.status >= 400) {
    // A request error stays one (no cooldown); 429 cools this executor's slot for the model
    // briefly; anything else is a failed upstream (502: the host may fail over). The message
    // does not say "model" itself: the host reads "model ... not found" in a 400 as "this
    // model is not served here" and would bench the slot for 12 hours.
    const status = result.status === 400 || result.status === 422 || result.status === 429 ? result.status : 502;
    throw upstreamError(status, `web-search-router: the nested call to ${model} answered ${result.status}: ${body?.error?.message ?? 'no message'}`);
  }
  const u = body?.usage;
  if (u) {
    usage.prompt_tokens += Number(u.prompt_tokens) || 0;
    usage.completion_tokens += Number(u.completion_tokens) || 0;
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  }
  const content = body?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content : '';
}

/**
 * Runs `query` against the search backend. Every backend failure is a 502.
 * @param {string} query
 * @param {Context} ctx
 * @returns {Promise<SearchResult[]>}
 */
async function search(query, ctx) {
  const { searchUrl, apiKeyEnv, maxResults, searchTimeoutMs } = settings;
  const key = process.env[apiKeyEnv];
  if (!key) throw upstreamError(502, `web-search-router: no search API key: set ${apiKeyEnv} and list it in the plugin item's env`);
  let data;
  try {
    const res = await fetch(searchUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, max_results: maxResults }),
      // The client going away (ctx.signal) or our own deadline, whichever comes first.
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(searchTimeoutMs)]),
    });
    const text = await res.text();
    if (!res.ok) throw upstreamError(502, `web-search-router: search backend answered ${res.status}: ${text.slice(0, 200)}`);
    try {
      data = JSON.parse(text);
    } catch {
      throw upstreamError(502, 'web-search-router: search backend answered something that is not JSON');
    }
  } catch (err) {
    if (ctx.signal.aborted || (err instanceof Error && 'status' in err)) throw err;
    throw upstreamError(502, `web-search-router: search backend unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const raw = Array.isArray(data?.results) ? data.results : [];
  /** @type {SearchResult[]} */
  const results = [];
  for (const r of raw) {
    if (results.length >= maxResults) break;
    if (typeof r?.url !== 'string' || r.url === '') continue;
    const title = typeof r.title === 'string' && r.title !== '' ? r.title : r.url;
    const content = typeof r.content === 'string' ? r.content.slice(0, MAX_CONTENT_CHARS) : '';
    results.push({ title, url: r.url, content });
  }
  return results;
}

// ------------------------------------------------------------------------------- helpers

/**
 * The settings with defaults applied; a wrong type fails `setup`, so a misconfigured plugin
 * never starts (the management API shows the reason).
 * @param {Config | undefined} config
 * @returns {Settings}
 */
function resolveSettings(config) {
  const c = config ?? {};
  /** @type {(key: keyof Config, type: string) => void} */
  const check = (key, type) => {
    if (c[key] !== undefined && typeof c[key] !== type) throw new TypeError(`web-search-router: config.${key} must be a ${type}`);
  };
  check('model', 'string');
  check('searchUrl', 'string');
  check('apiKeyEnv', 'string');
  check('maxResults', 'number');
  check('searchTimeoutMs', 'number');
  const searchUrl = c.searchUrl ?? 'https://api.tavily.com/search';
  if (!URL.canParse(searchUrl)) throw new TypeError(`web-search-router: config.searchUrl is not a URL: ${searchUrl}`);
  return {
    model: c.model,
    searchUrl,
    apiKeyEnv: c.apiKeyEnv ?? 'TAVILY_API_KEY',
    maxResults: Math.max(1, Math.min(20, Math.floor(c.maxResults ?? 5))),
    searchTimeoutMs: Math.max(1, c.searchTimeoutMs ?? 10_000),
  };
}

/**
 * An error the host treats as an upstream answering `status` (429 cools, 5xx fails over,
 * 400/422 end the request). The worker reads any thrown object with a numeric `status`.
 * @param {number} status
 * @param {string} message
 */
function upstreamError(status, message) {
  return Object.assign(new Error(message), { status });
}

/**
 * The text of OpenAI message content: a string, or its text parts joined.
 * @param {unknown} content
 */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p) => p?.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/** @param {unknown} body */
function messagesOf(body) {
  const messages = /** @type {{ messages?: unknown } | null} */ (body)?.messages;
  return /** @type {any[]} */ (Array.isArray(messages) ? messages : []);
}

/**
 * The text of the last user message that has some.
 * @param {unknown} body
 */
function lastUserText(body) {
  const messages = messagesOf(body);
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role !== 'user') continue;
    const text = textOf(messages[i].content).trim();
    if (text !== '') return text;
  }
  return '';
}

/**
 * The client's conversation as plain text turns, without tools, tool calls and tool results
 * (the model gets no tools: the search already happened), and its system prompt.
 * @param {unknown} body
 * @returns {{ system: string, turns: ChatMessage[] }}
 */
function conversation(body) {
  const system = [];
  /** @type {ChatMessage[]} */
  const turns = [];
  for (const m of messagesOf(body)) {
    const text = textOf(m?.content).trim();
    if (text === '') continue;
    if (m.role === 'system' || m.role === 'developer') system.push(text);
    else if (m.role === 'user' || m.role === 'assistant') turns.push({ role: m.role, content: text });
  }
  return { system: system.join('\n\n'), turns };
}

/**
 * The client's sampling settings worth keeping for the answer.
 * @param {unknown} body
 */
function samplingOf(body) {
  const b = /** @type {Record<string, unknown>} */ (body ?? {});
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const key of ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens']) if (typeof b[key] === 'number') out[key] = b[key];
  return out;
}

/**
 * The model's query, cleaned: first line, no quotes or "Query:" prefix, bounded.
 * @param {string} text
 */
function cleanQuery(text) {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line
    .replace(/^(search )?query:\s*/i, '')
    .replace(/^["'`]+|["'`]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_QUERY_CHARS);
}

/**
 * The system prompt part holding the results.
 * @param {string} query
 * @param {SearchResult[]} results
 */
function searchContext(query, results) {
  if (results.length === 0) {
    return `A web search for "${query}" found nothing. Answer from what you know and say that the search found nothing.`;
  }
  const list = results.map((r, i) => `[${i + 1}] ${r.title}\nURL: ${r.url}\n${r.content}`).join('\n\n');
  return (
    `Web search results for "${query}", retrieved just now. Use them to answer, cite the sources ` +
    `you use as [n] with their URL, and say so if they do not answer the question.\n\n${list}`
  );
}

/**
 * The answer with the numbered sources after it.
 * @param {string} text
 * @param {SearchResult[]} results
 */
function withSources(text, results) {
  if (results.length === 0) return text;
  return `${text}\n\nSources:\n${results.map((r, i) => `[${i + 1}] ${r.title}: ${r.url}`).join('\n')}`;
}
