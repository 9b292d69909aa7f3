// @ts-check
/**
 * echo: an executor serving provider `echo`, model `echo`. It answers the last user message
 * back, so a fresh install (no upstream key at all) can prove the whole path works: client SDK,
 * routing, executor, translation to the client's format, streaming.
 *
 * It speaks OpenAI chat completions; the host translates for Anthropic and Gemini clients.
 * Usage is counted in words: there is no tokenizer here, and words are what a reader can check.
 */

/** @typedef {import('@switchyard/plugin-sdk').ExecutorRequest} ExecutorRequest */
/** @typedef {{ role?: unknown, content?: unknown }} Message */

/** The text of a message `content`: a string as is, an array of parts joined from their `text`. */
function textOf(/** @type {unknown} */ content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

/** @param {string} text */
const wordCount = (text) => text.split(/\s+/).filter(Boolean).length;

/**
 * What both `execute` and `stream` answer: the reply text, its finish reason and the usage.
 * `max_completion_tokens` / `max_tokens` cut the reply to that many words with finish reason
 * `length`, so clients can exercise their truncation handling against echo too.
 *
 * @param {ExecutorRequest} req
 */
function reply(req) {
  const body = /** @type {{ messages?: unknown, max_tokens?: unknown, max_completion_tokens?: unknown }} */ (req.body ?? {});
  const messages = /** @type {Message[]} */ (Array.isArray(body.messages) ? body.messages : []);
  const lastUser = messages.findLast((m) => m?.role === 'user');
  // Split before each run of whitespace, so every word after the first keeps its leading space
  // and the pieces concatenate back to the exact text (the stream sends one piece per chunk).
  let words = textOf(lastUser?.content).split(/(?<=\S)(?=\s)/).filter(Boolean);
  let finish = 'stop';
  const limit = body.max_completion_tokens ?? body.max_tokens;
  if (typeof limit === 'number' && limit >= 0 && words.length > limit) {
    words = words.slice(0, limit);
    finish = 'length';
  }
  const promptTokens = messages.reduce((sum, m) => sum + wordCount(textOf(m?.content)), 0);
  const completionTokens = words.length;
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  return { words, text: words.join(''), finish, usage };
}

/** The fields every chat.completion and chat.completion.chunk share. */
const envelope = (/** @type {ExecutorRequest} */ req, /** @type {string} */ object) => ({
  id: `chatcmpl-echo-${req.requestId}`,
  object,
  created: Math.floor(Date.now() / 1000),
  model: req.model,
});

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<unknown>} */
export default {
  executor: {
    provider: 'echo',
    format: 'openai',
    models: [{ id: 'echo', displayName: 'Echo (answers your last message back)' }],

    execute(req) {
      const { text, finish, usage } = reply(req);
      return {
        body: {
          ...envelope(req, 'chat.completion'),
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }],
          usage,
        },
      };
    },

    // Chunks are yielded as objects, not SSE text: the host encodes them for the client's format.
    async *stream(req, ctx) {
      const { words, finish, usage } = reply(req);
      /** @param {Record<string, unknown>} delta @param {string | null} finishReason */
      const chunk = (delta, finishReason = null) => ({
        ...envelope(req, 'chat.completion.chunk'),
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      });
      yield chunk({ role: 'assistant', content: '' });
      for (const word of words) {
        if (ctx.signal.aborted) return; // the client went away: nobody reads the rest
        yield chunk({ content: word });
      }
      yield chunk({}, finish);
      // OpenAI's `include_usage` shape: a last chunk with no choices, carrying the usage.
      yield { ...envelope(req, 'chat.completion.chunk'), choices: [], usage };
    },
  },
};
