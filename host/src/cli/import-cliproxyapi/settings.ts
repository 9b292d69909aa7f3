/**
 * What the import knows about CLIProxyAPI's settings: which it carries, which it cannot and why.
 *
 * @module
 */
export type Doc = Record<string, unknown>;

export const NONE = 'no equivalent in Switchyard';
export const OAUTH = "applies to OAuth accounts (CLIProxyAPI's login files in auth-dir), which are not imported: only API keys are";
export const PREFIX = 'model prefixes have no equivalent: address one provider with provider/model';
export const SCOPED = "no equivalent: Switchyard's failure table classifies every upstream error";
export const LOGS = 'Switchyard logs JSON lines to stdout and writes no log files';
export const CLOAK = 'Switchyard sends requests as the client made them: no client cloaking or header defaults';
export const MEDIA = 'Switchyard serves no image or video endpoints';

/** Top-level CLIProxyAPI keys with no Switchyard equivalent, and why. */
export const UNCARRIED: Record<string, string> = {
  tls: 'Switchyard serves plain HTTP: terminate TLS in front of it (a reverse proxy)',
  debug: 'not a config key in Switchyard: set SWITCHYARD_LOG_LEVEL=debug',
  pprof: 'Switchyard has no profiling server (use node --inspect or --cpu-prof)',
  plugins: 'CLIProxyAPI plugins are native libraries; Switchyard plugins are JavaScript packages (plugins.dir)',
  'commercial-mode': NONE,
  'logging-to-file': LOGS,
  'logs-max-total-size-mb': LOGS,
  'error-logs-max-files': LOGS,
  'request-log': LOGS,
  'usage-statistics-enabled': 'Switchyard always counts usage (Prometheus metrics at /metrics)',
  'redis-usage-queue-retention-seconds': NONE,
  'force-model-prefix': PREFIX,
  'passthrough-headers': 'Switchyard does not forward upstream response headers to clients',
  'save-cooldown-status': 'Switchyard always keeps cooldowns across restarts (authDir/state.json)',
  'quota-exceeded': OAUTH,
  'auth-auto-refresh-workers': OAUTH,
  'ws-auth': 'Switchyard has no WebSocket API (/v1/ws)',
  'nonstream-keepalive-interval': NONE,
  streaming: 'no SSE keep-alive comments or bootstrap retries in Switchyard (a stream fails over before its first byte)',
  'disable-image-generation': MEDIA,
  'gpt-image-2-base-model': MEDIA,
  'video-result-auth-cache-ttl': MEDIA,
  'disable-claude-cloak-mode': CLOAK,
  'claude-header-defaults': CLOAK,
  'codex-header-defaults': CLOAK,
  'claude-code': NONE,
  codex: NONE,
  xai: NONE,
  antigravity: OAUTH,
  'antigravity-signature-cache-enabled': OAUTH,
  'antigravity-signature-bypass-strict': OAUTH,
  'credential-concurrency': NONE,
  'credential-in-flight': NONE,
  'xai-api-key': 'Switchyard has no xAI provider type',
  'vertex-api-key': 'Switchyard has no Vertex AI provider type',
  'interactions-api-key': 'Switchyard does not serve the Gemini Interactions API (gemini-api-key entries are imported)',
  'oauth-model-alias': OAUTH,
  'oauth-excluded-models': OAUTH,
  'oauth-request-scoped-errors': OAUTH,
  payload: 'payload rules have no equivalent: a request interceptor plugin can rewrite request bodies',
  'generative-language-api-key': 'legacy key list CLIProxyAPI no longer reads (it drops it when it saves the config): list those keys under gemini-api-key',
  auth: 'legacy block CLIProxyAPI no longer reads',
};

/**
 * Parameters of CLIProxyAPI features Switchyard lacks, at the value CLIProxyAPI's own
 * config.example.yaml gives them: left so, they say nothing worth reporting.
 */
export const QUIET_DEFAULTS: Record<string, unknown> = {
  'error-logs-max-files': 10,
  'redis-usage-queue-retention-seconds': 60,
  'video-result-auth-cache-ttl': '3h',
};

/** Settings of a key entry (and of an OpenAI-compatible provider) with no equivalent, and why. */
export const UNCARRIED_IN_ENTRY: Record<string, string> = {
  prefix: PREFIX,
  'request-scoped-errors': SCOPED,
  cloak: CLOAK,
  'fingerprint-profile': CLOAK,
  'experimental-cch-signing': CLOAK,
  'rebuild-mid-system-message': NONE,
  websockets: 'Switchyard calls Responses upstreams over HTTP only',
  'alpha-search': 'Switchyard does not serve /v1/alpha/search',
  'support-prompt-cache-key': NONE,
  'api-keys': 'legacy key list CLIProxyAPI no longer reads (it drops it when it saves the config): list those keys under api-key-entries',
};

/** Per-model fields with no equivalent (Switchyard models are a name and an optional alias). */
export const MODEL_META = 'per-model metadata has no equivalent in Switchyard (a model is a name and an alias)';

/** The key lists of CLIProxyAPI that become one provider each. */
export const KEY_LISTS = [
  { list: 'gemini-api-key', name: 'gemini', type: 'gemini', suffix: '/v1beta', needsBase: false },
  { list: 'claude-api-key', name: 'claude', type: 'anthropic', suffix: '/v1', needsBase: false },
  { list: 'codex-api-key', name: 'codex', type: 'openai-responses', suffix: '', needsBase: true },
] as const;

/** What a gemini, claude or codex key entry may say that Switchyard carries. */
export const KEY_FIELDS = new Set(['api-key', 'priority', 'weight', 'base-url', 'proxy-url', 'models', 'headers', 'excluded-models', 'disable-cooling', 'request-retry']);
/** What an `openai-compatibility[].api-key-entries` entry may say (CLIProxyAPI reads no more). */
export const COMPAT_KEY_FIELDS = new Set(['api-key', 'weight', 'proxy-url']);
/** What an `openai-compatibility` entry may say that Switchyard carries. */
export const COMPAT_FIELDS = new Set(['name', 'base-url', 'api-key-entries', 'models', 'headers', 'priority', 'disable-cooling', 'request-retry', 'disabled']);

/** Top-level keys read by the import itself. */
export const HANDLED = new Set([
  'host',
  'port',
  'api-keys',
  'auth-dir',
  'remote-management',
  'proxy-url',
  'request-retry',
  'max-retry-credentials',
  'max-retry-interval',
  'transient-error-cooldown-seconds',
  'disable-cooling',
  'routing',
  'openai-compatibility',
  ...KEY_LISTS.map((l) => l.list),
]);
