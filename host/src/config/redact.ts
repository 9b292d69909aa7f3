/**
 * The config as management shows it: every secret it can hold replaced by `[redacted]` (client
 * and upstream keys, the management key, header values, passwords in proxy and Redis URLs, and
 * plugin settings whose name says they hold one). Everything else as the running config has it,
 * defaults included, so an operator sees what is in force.
 *
 * @module
 */
import type { Config } from './schema.js';

const REDACTED = '[redacted]';
/** Names of plugin settings that hold secrets. */
const SECRET_NAME = /key|token|secret|password|passwd|auth|credential|cookie/i;

/** A deep copy of `config` without secrets. */
export function redactConfig(config: Config): unknown {
  return {
    ...config,
    apiKeys: config.apiKeys.map((k) => (typeof k === 'string' ? REDACTED : { name: k.name, key: REDACTED })),
    managementKey: config.managementKey === undefined ? undefined : REDACTED,
    state: { ...config.state, url: config.state.url && redactUrl(config.state.url) },
    proxyUrl: config.proxyUrl && redactUrl(config.proxyUrl),
    providers: config.providers.map((p) => ({
      ...p,
      headers: redactValues(p.headers),
      proxyUrl: p.proxyUrl && redactUrl(p.proxyUrl),
      apiKeys: p.apiKeys.map((k) =>
        typeof k === 'string' ? REDACTED : { ...k, key: REDACTED, headers: k.headers && redactValues(k.headers), proxyUrl: k.proxyUrl && redactUrl(k.proxyUrl) },
      ),
    })),
    plugins: {
      ...config.plugins,
      items: Object.fromEntries(Object.entries(config.plugins.items).map(([id, item]) => [id, { ...item, config: redactSecrets(item.config) }])),
    },
  };
}

/** A URL with its user and password replaced; a value that is not a URL stays whole only if it cannot hold one. */
function redactUrl(value: string): string {
  if (!URL.canParse(value)) return value.includes('@') ? REDACTED : value;
  const url = new URL(value);
  if (url.password) url.password = REDACTED;
  if (url.username) url.username = REDACTED;
  return url.toString();
}

function redactValues(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).map((name) => [name, REDACTED]));
}

/** Plugin settings: strings under secret-looking names, at any depth, become `[redacted]`. */
function redactSecrets(value: unknown, name = ''): unknown {
  if (typeof value === 'string') return SECRET_NAME.test(name) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, name));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  return value;
}
