/**
 * `switchyard import cliproxyapi FILE`: a CLIProxyAPI `config.yaml` as the equivalent
 * `switchyard.yaml` on stdout, each setting that could not be carried on stderr with the reason.
 * Every upstream URL CLIProxyAPI would call is kept: a Claude `base-url` B becomes B/v1, a Gemini
 * one B/v1beta, `codex-api-key` a provider of type `openai-responses` on B, and
 * `openai-compatibility` URLs stay as they are. The mapping is docs/cliproxyapi-import.md.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import { configSchema } from '../config/schema.js';
import { CliError, usageError } from './errors.js';

/** A setting that did not make it into the Switchyard config. */
export interface ImportNote {
  key: string;
  reason: string;
}

type Doc = Record<string, unknown>;
type Entry = Record<string, unknown>;

/** The provider kinds of CLIProxyAPI keyed by their list, with what Switchyard calls them. */
const KEY_LISTS = [
  { key: 'gemini-api-key', name: 'gemini', type: 'gemini', suffix: '/v1beta' },
  { key: 'claude-api-key', name: 'claude', type: 'anthropic', suffix: '/v1' },
  { key: 'codex-api-key', name: 'codex', type: 'openai-responses', suffix: '' },
] as const;

/** Keys with no equivalent, and why. */
const UNCARRIED: Record<string, string> = {
  tls: 'Switchyard serves plain HTTP; terminate TLS in front of it',
  debug: 'set SWITCHYARD_LOG_LEVEL=debug instead',
  pprof: 'no equivalent in Switchyard',
  'commercial-mode': 'no equivalent in Switchyard',
  'logging-to-file': 'Switchyard logs JSON lines to stdout',
  'usage-statistics-enabled': 'Switchyard keeps request metrics at /metrics',
  'force-model-prefix': 'model prefixes have no equivalent; use provider-qualified names (provider/model)',
  'passthrough-headers': 'no equivalent in Switchyard',
  'save-cooldown-status': 'Switchyard always keeps cooldowns in authDir/state.json',
  'quota-exceeded': 'no equivalent in Switchyard',
  'auth-auto-refresh-workers': 'no equivalent in Switchyard',
  'ws-auth': 'no equivalent in Switchyard',
  'nonstream-keepalive-interval': 'no equivalent in Switchyard',
  streaming: 'no equivalent in Switchyard',
  'xai-api-key': 'no xAI provider type; an OpenAI-compatible provider can reach xAI',
  'vertex-api-key': 'Vertex AI keys are not supported; service accounts are credential files',
  'interactions-api-key': 'no equivalent in Switchyard',
  'oauth-model-alias': 'OAuth accounts are credential files in authDir/credentials; alias models with models: {name, alias}',
  'oauth-excluded-models': 'OAuth accounts are credential files in authDir/credentials',
  'oauth-request-scoped-errors': 'no equivalent in Switchyard',
  payload: 'payload rules have no equivalent; a request interceptor plugin can rewrite bodies',
  plugins: 'CLIProxyAPI plugins are native libraries; Switchyard plugins are JavaScript packages',
  'claude-code': 'no equivalent in Switchyard',
  codex: 'no equivalent in Switchyard',
  xai: 'no equivalent in Switchyard',
  antigravity: 'no equivalent in Switchyard',
};

/** Converts a parsed CLIProxyAPI config. */
export function importCliproxyapi(doc: Doc): { config: Doc; notes: ImportNote[] } {
  const notes: ImportNote[] = [];
  const note = (key: string, reason: string) => notes.push({ key, reason });
  const config: Doc = {};
  if (doc.host !== undefined && doc.host !== '') config.host = doc.host;
  if (doc.port !== undefined) config.port = doc.port;
  if (Array.isArray(doc['api-keys'])) config.apiKeys = doc['api-keys'];
  if (typeof doc['auth-dir'] === 'string') config.authDir = doc['auth-dir'].replace(/^~(?=\/|$)/, homedir());
  managementKey(doc['remote-management'], config, note);
  if (typeof doc['proxy-url'] === 'string' && doc['proxy-url'] !== '') config.proxyUrl = doc['proxy-url'];
  const retry: Doc = {};
  if (typeof doc['request-retry'] === 'number') retry.requestRetry = doc['request-retry'];
  if (typeof doc['max-retry-credentials'] === 'number') retry.maxRetryCredentials = doc['max-retry-credentials'];
  if (typeof doc['max-retry-interval'] === 'number') retry.maxRetryInterval = `${Math.max(0, doc['max-retry-interval'])}s`;
  if (Object.keys(retry).length > 0) config.retry = retry;
  const transient = doc['transient-error-cooldown-seconds'];
  // CLIProxyAPI: 0 means its 60 s default, below 0 means none.
  if (typeof transient === 'number') config.cooldown = { transientSeconds: transient === 0 ? 60 : Math.max(0, transient) };
  const routing = routingOf(doc.routing, note);
  if (routing) config.routing = routing;

  const providers: Doc[] = [];
  for (const list of KEY_LISTS) {
    const entries = doc[list.key];
    if (!Array.isArray(entries) || entries.length === 0) continue;
    providers.push(provider(list.name, list.type, entries as Entry[], (base) => base.replace(/\/+$/, '') + list.suffix, `${list.key}`, note));
  }
  const compat = doc['openai-compatibility'];
  if (Array.isArray(compat)) {
    compat.forEach((raw: Entry, i) => {
      const where = `openai-compatibility[${i}]`;
      if (raw.disabled === true) return note(where, 'disabled in CLIProxyAPI: left out');
      const keys = (Array.isArray(raw['api-key-entries']) ? raw['api-key-entries'] : Array.isArray(raw['api-keys']) ? (raw['api-keys'] as unknown[]).map((k) => ({ 'api-key': k })) : []) as Entry[];
      const built = provider(providerName(raw.name, i), 'openai', keys, (base) => base, where, note, raw['base-url']);
      if (Array.isArray(raw.models)) built.models = raw.models.map(modelEntry);
      if (isRecord(raw.headers)) built.headers = raw.headers;
      if (typeof raw['request-retry'] === 'number') built.requestRetry = raw['request-retry'];
      if (raw['disable-cooling'] === true) built.disableCooling = true;
      if (raw.prefix !== undefined && raw.prefix !== '') note(`${where}.prefix`, 'model prefixes have no equivalent; use provider-qualified names (provider/model)');
      if (raw['request-scoped-errors'] !== undefined) note(`${where}.request-scoped-errors`, 'no equivalent in Switchyard: its failure table decides');
      providers.push(built);
    });
  }
  if (doc['disable-cooling'] === true) for (const p of providers) p.disableCooling = true;
  if (providers.length > 0) config.providers = providers;

  const handled = new Set(['host', 'port', 'api-keys', 'auth-dir', 'remote-management', 'proxy-url', 'request-retry', 'max-retry-credentials', 'max-retry-interval', 'transient-error-cooldown-seconds', 'routing', 'disable-cooling', 'openai-compatibility', ...KEY_LISTS.map((l) => l.key)]);
  for (const key of Object.keys(doc)) {
    if (handled.has(key)) continue;
    note(key, UNCARRIED[key] ?? 'not a setting Switchyard knows');
  }
  return { config, notes };
}

function managementKey(value: unknown, config: Doc, note: (key: string, reason: string) => void): void {
  if (!isRecord(value)) return;
  const secret = value['secret-key'];
  if (typeof secret === 'string' && secret !== '') {
    // CLIProxyAPI stores a bcrypt hash once it started: the key itself is gone.
    if (/^\$2[aby]\$/.test(secret)) note('remote-management.secret-key', 'a bcrypt hash cannot be turned back into the key; set managementKey yourself');
    else config.managementKey = secret;
  }
  if (value['allow-remote'] !== undefined) note('remote-management.allow-remote', 'management is served wherever the host listens, behind managementKey');
  for (const key of ['disable-control-panel', 'panel-github-repository']) {
    if (value[key] !== undefined) note(`remote-management.${key}`, 'the console is served at /console');
  }
}

function routingOf(value: unknown, note: (key: string, reason: string) => void): Doc | undefined {
  if (!isRecord(value)) return undefined;
  const routing: Doc = {};
  const strategy = value.strategy;
  if (strategy === 'round-robin' || strategy === 'fill-first') routing.strategy = strategy;
  else if (strategy === 'weighted-round-robin' || strategy === 'wrr' || strategy === 'weighted') routing.strategy = 'weighted';
  else if (strategy !== undefined) note('routing.strategy', `unknown strategy ${JSON.stringify(strategy)}: left at round-robin`);
  if (typeof value['session-affinity'] === 'boolean') routing.sessionAffinity = value['session-affinity'];
  if (value['session-affinity-ttl'] !== undefined) routing.sessionAffinityTtl = value['session-affinity-ttl'];
  return Object.keys(routing).length > 0 ? routing : undefined;
}

/**
 * One provider from a list of key entries. A `base-url` all entries share goes on the provider,
 * differing ones on their keys; per-entry settings become a key entry's own.
 */
function provider(name: string, type: string, entries: Entry[], url: (base: string) => string, where: string, note: (key: string, reason: string) => void, sharedBase?: unknown): Doc {
  const bases = entries.map((e) => (typeof e['base-url'] === 'string' && e['base-url'] !== '' ? e['base-url'] : undefined));
  const common = typeof sharedBase === 'string' ? sharedBase : bases.every((b) => b === bases[0]) ? bases[0] : undefined;
  const out: Doc = { name, type };
  if (common !== undefined) out.baseUrl = url(common);
  out.apiKeys = entries.map((entry, i) => {
    const key: Doc = { key: entry['api-key'] };
    if (common === undefined && bases[i] !== undefined) key.baseUrl = url(bases[i]!);
    if (typeof entry.priority === 'number') key.priority = entry.priority;
    if (typeof entry.weight === 'number' && entry.weight > 0) key.weight = entry.weight;
    if (typeof entry['proxy-url'] === 'string' && entry['proxy-url'] !== '') key.proxyUrl = entry['proxy-url'];
    if (isRecord(entry.headers)) key.headers = entry.headers;
    if (Array.isArray(entry.models) && entry.models.length > 0) key.models = entry.models.map(modelEntry);
    if (Array.isArray(entry['excluded-models']) && entry['excluded-models'].length > 0) key.excludedModels = entry['excluded-models'];
    if (typeof entry['request-retry'] === 'number') key.requestRetry = entry['request-retry'];
    if (entry['disable-cooling'] === true) key.disableCooling = true;
    if (entry.prefix !== undefined && entry.prefix !== '') note(`${where}[${i}].prefix`, 'model prefixes have no equivalent; use provider-qualified names (provider/model)');
    if (entry['request-scoped-errors'] !== undefined) note(`${where}[${i}].request-scoped-errors`, 'no equivalent in Switchyard: its failure table decides');
    // A key with no settings of its own stays a plain string.
    return Object.keys(key).length === 1 ? key.key : key;
  });
  return out;
}

function modelEntry(model: unknown): unknown {
  if (!isRecord(model)) return model;
  const name = model.name;
  const alias = model.alias;
  return typeof alias === 'string' && alias !== '' && alias !== name ? { name, alias } : name;
}

/** A provider key from an openai-compatibility name: lower-case letters, digits, "-", "_", ".". */
function providerName(name: unknown, index: number): string {
  const cleaned = String(name ?? '').toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return cleaned || `openai-compat-${index}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Runs `import cliproxyapi FILE`; resolves with the exit status. */
export async function importCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [source, file, ...extra] = positionals;
  if (source !== 'cliproxyapi') throw usageError(`import: expected "cliproxyapi"${source === undefined ? '' : `, got "${source}"`}`);
  if (file === undefined || extra.length > 0) throw usageError('import cliproxyapi: expected one FILE');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read: ${(err as Error).message}`, 2);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new CliError(`${file}: invalid YAML: ${(err as Error).message}`, 2);
  }
  if (!isRecord(doc)) throw new CliError(`${file}: expected a mapping at the top level`, 2);
  const { config, notes } = importCliproxyapi(doc);
  process.stdout.write(stringify(config));
  for (const n of notes) process.stderr.write(`not carried: ${n.key}: ${n.reason}\n`);
  // The config is still written: say what the user must fix before Switchyard accepts it.
  const checked = configSchema.safeParse(config);
  if (!checked.success) for (const issue of checked.error.issues) process.stderr.write(`check: ${issue.path.join('.')}: ${issue.message}\n`);
  return 0;
}
