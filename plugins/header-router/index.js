// @ts-check
/**
 * header-router: lets a client pick its upstream per request with the header
 * `x-switchyard-target: provider/model` (or a bare model name), without changing the `model` it
 * sends, e.g. an eval harness pinning one run to `anthropic/claude-sonnet-4-6`.
 *
 * Only targets matching `config.allow` are honoured: any client holding a gateway key could
 * otherwise send its traffic to the most expensive model the gateway has keys for. The default
 * allow-list is empty, so installing the plugin changes nothing until an operator opens it up.
 */

/**
 * @typedef {object} Config
 * @property {string[]} [allow] patterns the header value must match in full; `*` matches any
 *   run of characters (`openai/*`, `anthropic/claude-*`, `gpt-4.1*`). Default: nothing allowed.
 */

const HEADER = 'x-switchyard-target';

/** A `*` glob as an anchored regex; every other character matches itself. */
function globToRegExp(/** @type {string} */ glob) {
  const source = glob.split('*').map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`);
}

/**
 * Validates and compiles the allow-list once per worker; a malformed one throws, so the plugin
 * does not start (a config change to it keeps the previous generation serving).
 * @param {Config | undefined} config
 */
function parseConfig(config) {
  const allow = config?.allow ?? [];
  if (!Array.isArray(allow) || !allow.every((p) => typeof p === 'string' && p !== '')) {
    throw new Error('config.allow must be a list of non-empty patterns');
  }
  return allow.map(globToRegExp);
}

/** @type {RegExp[]} */
let allowed = [];

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config>} */
export default {
  setup(ctx) {
    allowed = parseConfig(ctx.config);
    if (allowed.length === 0) ctx.log.warn(`header-router has an empty config.allow: every ${HEADER} header is ignored`);
  },

  modelRouter(req, ctx) {
    const value = req.headers[HEADER]?.trim();
    if (!value) return { handled: false };
    if (!allowed.some((re) => re.test(value))) {
      // Unhandled, not rejected: the request still goes to the model it asked for.
      ctx.log.warn(`${HEADER} not allowed by config.allow: ignored`, { target: value, requestId: req.requestId });
      return { handled: false };
    }
    const reason = `${HEADER}: ${value}`;
    const slash = value.indexOf('/');
    const provider = value.slice(0, slash);
    const model = value.slice(slash + 1);
    // `provider/model` names a provider only when that provider exists here; model names may
    // hold slashes of their own (`meta-llama/llama-3.3-70b`), so anything else is a model name.
    if (slash > 0 && model && req.availableProviders.includes(provider)) {
      return { handled: true, targetKind: 'provider', target: provider, targetModel: model, reason };
    }
    return { handled: true, targetKind: 'model', target: value, reason };
  },
};
