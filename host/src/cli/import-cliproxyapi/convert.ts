/**
 * `switchyard import cliproxyapi FILE`: a CLIProxyAPI `config.yaml` as the equivalent
 * `switchyard.yaml` on stdout, each setting that could not be carried on stderr with the reason.
 *
 * Every upstream URL CLIProxyAPI would call is kept (CONTRACT section 7): a Claude `base-url` B
 * becomes B/v1, a Gemini one B/v1beta, `codex-api-key` a provider of type `openai-responses` on B,
 * and `openai-compatibility` URLs stay as they are. Entries CLIProxyAPI itself ignores (a codex
 * key or an OpenAI-compatible provider without `base-url`, a `disabled` provider, the legacy key
 * lists it no longer reads) are left out and reported. A setting left at its off value (false, 0,
 * empty, a block with `enable: false`) is not reported: Switchyard behaves the same without it;
 * nor are a few parameters of features Switchyard lacks left at CLIProxyAPI's defaults.
 * The mapping is docs/cliproxyapi-import.md.
 *
 * @module
 */
import { homedir } from 'node:os';
import { isLoopback } from '../../config/schema.js';
import { COMPAT_FIELDS, COMPAT_KEY_FIELDS, type Doc, HANDLED, KEY_FIELDS, KEY_LISTS, MODEL_META, QUIET_DEFAULTS, UNCARRIED, UNCARRIED_IN_ENTRY } from './settings.js';
import { expandHome, formatDuration, goDurationMs, integer, isOff, isRecord, providerName, proxyOf, text } from './values.js';
/** A setting that did not make it into the Switchyard config: its CLIProxyAPI key path and why. */
export interface ImportNote {
  key: string;
  reason: string;
}

/** What {@link importCliproxyapi} returns: the Switchyard config (not yet validated) and the notes. */
export interface ImportResult {
  config: Record<string, unknown>;
  notes: ImportNote[];
}

export interface ImportOptions {
  /** Home folder a leading `~` in `auth-dir` expands to (default: the current user's). */
  home?: string;
}

interface Context {
  note(key: string, reason: string): void;
  /** Global `disable-cooling`. */
  disableCooling: boolean;
  /** Whether `routing.strategy` is weighted round-robin (a weight of 0 or below then matters). */
  weighted: boolean;
}

/**
 * Converts a parsed CLIProxyAPI `config.yaml` into a Switchyard config, with a note for each
 * setting that could not be carried. Reads no file and validates nothing (the caller checks the
 * result with the schema).
 */
export function importCliproxyapi(doc: Doc, options: ImportOptions = {}): ImportResult {
  const notes: ImportNote[] = [];
  const ctx: Context = {
    note: (key, reason) => void notes.push({ key, reason }),
    disableCooling: doc['disable-cooling'] === true,
    weighted: strategyOf(doc.routing) === 'weighted',
  };
  const config: Doc = {};

  // CLIProxyAPI's empty (or absent) host listens on every interface; Switchyard's default is loopback.
  const host = text(doc.host);
  if (host !== undefined) config.host = host;
  else ctx.note('host', 'empty or unset: CLIProxyAPI listens on every interface; left out, so Switchyard listens on 127.0.0.1 only (set host: 0.0.0.0 to listen on all)');
  if (typeof doc.port === 'number') config.port = doc.port;
  const clientKeys = Array.isArray(doc['api-keys']) ? doc['api-keys'].map(text).filter((k) => k !== undefined) : [];
  if (clientKeys.length > 0) config.apiKeys = clientKeys;
  managementKey(doc['remote-management'], config, ctx);
  const authDir = text(doc['auth-dir']);
  if (authDir !== undefined) {
    config.authDir = expandHome(authDir, options.home ?? homedir());
    ctx.note('auth-dir', 'the OAuth account files in it are not imported (only API keys are), and Switchyard keeps its own state there (state.json, responses/): give Switchyard another folder while CLIProxyAPI still uses this one');
  }

  const retry: Doc = {};
  if (typeof doc['request-retry'] === 'number') retry.requestRetry = Math.max(0, Math.trunc(doc['request-retry']));
  if (typeof doc['max-retry-credentials'] === 'number') retry.maxRetryCredentials = Math.max(0, Math.trunc(doc['max-retry-credentials']));
  // Seconds; 0 or below means never wait for a cooldown, which is Switchyard's 0 too.
  if (typeof doc['max-retry-interval'] === 'number') retry.maxRetryInterval = `${Math.max(0, doc['max-retry-interval'])}s`;
  if (Object.keys(retry).length > 0) config.retry = retry;
  const transient = doc['transient-error-cooldown-seconds'];
  // CLIProxyAPI: 0 keeps its 60 s default, below 0 means no cooldown.
  if (typeof transient === 'number') config.cooldown = { transientSeconds: transient === 0 ? 60 : Math.max(0, transient) };
  const routing = routingOf(doc.routing, ctx);
  if (routing) config.routing = routing;
  const proxy = proxyOf(doc['proxy-url']);
  if (proxy !== undefined) config.proxyUrl = proxy;

  const providers: Doc[] = [];
  for (const kind of KEY_LISTS) {
    const built = keyListProvider(kind, doc[kind.list], ctx);
    if (built) providers.push(built);
  }
  const taken = new Set(providers.map((p) => p.name as string));
  if (Array.isArray(doc['openai-compatibility'])) {
    doc['openai-compatibility'].forEach((entry: unknown, i) => {
      const built = compatProvider(entry, `openai-compatibility[${i}]`, taken, ctx);
      if (built) providers.push(built);
    });
  }
  if (providers.length > 0) config.providers = providers;

  for (const [key, value] of Object.entries(doc)) {
    if (HANDLED.has(key) || isOff(value) || QUIET_DEFAULTS[key] === value) continue;
    ctx.note(key, UNCARRIED[key] ?? 'not a CLIProxyAPI setting this import knows');
  }
  return { config, notes };
}

function managementKey(value: unknown, config: Doc, ctx: Context): void {
  if (!isRecord(value)) return;
  const secret = text(value['secret-key']);
  if (secret !== undefined) {
    // CLIProxyAPI replaces a plain key with its bcrypt hash on start: the key itself is gone.
    if (/^\$2[aby]\$/.test(secret)) ctx.note('remote-management.secret-key', 'a bcrypt hash (CLIProxyAPI hashes the key on start) cannot be turned back into the key: set managementKey yourself');
    else config.managementKey = secret;
    const host = typeof config.host === 'string' ? config.host : '127.0.0.1';
    if (value['allow-remote'] !== true && !isLoopback(host)) {
      ctx.note('remote-management.allow-remote', `false: Switchyard serves management wherever it listens (here ${host}), behind managementKey only`);
    }
    if (value['disable-control-panel'] !== true) ctx.note('remote-management.disable-control-panel', "Switchyard has no bundled control panel (CLIProxyAPI's /management.html): use the management API");
  }
  const known = new Set(['secret-key', 'allow-remote', 'disable-control-panel', 'disable-auto-update-panel', 'panel-github-repository']);
  for (const [key, v] of Object.entries(value)) if (!known.has(key) && !isOff(v)) ctx.note(`remote-management.${key}`, 'not a CLIProxyAPI setting this import knows');
}

/** `routing.strategy` as Switchyard names it: CLIProxyAPI takes anything else as round-robin. */
function strategyOf(routing: unknown): string | undefined {
  if (!isRecord(routing) || typeof routing.strategy !== 'string') return undefined;
  const s = routing.strategy.trim().toLowerCase();
  if (s === 'weighted-round-robin' || s === 'weightedroundrobin' || s === 'wrr') return 'weighted';
  if (s === 'fill-first' || s === 'fillfirst' || s === 'ff') return 'fill-first';
  if (s === 'round-robin') return 'round-robin';
  return undefined;
}

function routingOf(value: unknown, ctx: Context): Doc | undefined {
  if (!isRecord(value)) return undefined;
  const routing: Doc = {};
  const strategy = strategyOf(value);
  if (strategy !== undefined) routing.strategy = strategy;
  else if (!isOff(value.strategy)) ctx.note('routing.strategy', `unknown strategy ${JSON.stringify(value.strategy)}: CLIProxyAPI uses round-robin, and so does Switchyard`);
  if (value['session-affinity'] === true) routing.sessionAffinity = true;
  const ttl = value['session-affinity-ttl'];
  if (!isOff(ttl)) {
    // A Go duration; CLIProxyAPI falls back to 1h for anything else, as Switchyard does without one.
    const ms = typeof ttl === 'string' ? goDurationMs(ttl) : undefined;
    if (ms !== undefined && ms > 0) routing.sessionAffinityTtl = formatDuration(ms);
    else ctx.note('routing.session-affinity-ttl', `${JSON.stringify(ttl)} is not a Go duration: CLIProxyAPI uses its 1h default, and so does Switchyard`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (!['strategy', 'session-affinity', 'session-affinity-ttl'].includes(key) && !isOff(v)) ctx.note(`routing.${key}`, 'not a CLIProxyAPI setting this import knows');
  }
  return Object.keys(routing).length > 0 ? routing : undefined;
}

/**
 * The provider for one of the gemini / claude / codex key lists. A `base-url` every entry shares
 * goes on the provider, differing ones on their keys; per-entry settings become the key's own.
 */
function keyListProvider(kind: (typeof KEY_LISTS)[number], value: unknown, ctx: Context): Doc | undefined {
  if (!Array.isArray(value)) return undefined;
  const url = (base: string) => base.replace(/\/+$/, '') + kind.suffix;
  const entries: { entry: Doc; where: string; key: string; base?: string }[] = [];
  value.forEach((entry: unknown, i) => {
    const where = `${kind.list}[${i}]`;
    if (!isRecord(entry)) return ctx.note(where, 'not a key entry (api-key, base-url, ...): left out');
    const key = text(entry['api-key']);
    const base = text(entry['base-url']);
    if (kind.needsBase && base === undefined) return ctx.note(where, 'no base-url: CLIProxyAPI ignores such an entry, so it is left out');
    if (key === undefined) return ctx.note(where, 'no api-key: a Switchyard key cannot be empty, so the entry is left out');
    entries.push({ entry, where, key, base });
  });
  if (entries.length === 0) return undefined;
  const urls = entries.map((e) => (e.base === undefined ? undefined : url(e.base)));
  const shared = urls.every((u) => u === urls[0]) ? urls[0] : undefined;
  const provider: Doc = { name: kind.name, type: kind.type };
  if (shared !== undefined) provider.baseUrl = shared;
  const seen = new Set<string>();
  provider.apiKeys = entries.flatMap(({ entry, where, key }, i) => {
    const out = simplify(keyEntry(entry, key, where, KEY_FIELDS, ctx.disableCooling, ctx, shared === undefined ? urls[i] : undefined));
    // CLIProxyAPI drops a gemini entry identical to an earlier one.
    const id = JSON.stringify(out);
    if (kind.list === 'gemini-api-key' && seen.has(id)) return [];
    seen.add(id);
    return [out];
  });
  if (ctx.disableCooling) provider.disableCooling = true;
  return provider;
}

/** One provider per `openai-compatibility` entry; undefined for one CLIProxyAPI does not use. */
function compatProvider(entry: unknown, where: string, taken: Set<string>, ctx: Context): Doc | undefined {
  if (!isRecord(entry)) {
    ctx.note(where, 'not a provider entry (name, base-url, ...): left out');
    return undefined;
  }
  if (entry.disabled === true) {
    ctx.note(where, 'disabled in CLIProxyAPI: left out');
    return undefined;
  }
  const base = text(entry['base-url']);
  if (base === undefined) {
    ctx.note(where, 'no base-url: CLIProxyAPI ignores such a provider, so it is left out');
    return undefined;
  }
  const wanted = providerName(entry.name);
  let name = wanted;
  for (let n = 2; taken.has(name); n++) name = `${wanted}-${n}`;
  if (name !== wanted) ctx.note(`${where}.name`, `provider name "${wanted}" is already taken: named "${name}"`);
  taken.add(name);

  const disableCooling = typeof entry['disable-cooling'] === 'boolean' ? entry['disable-cooling'] : ctx.disableCooling;
  const provider: Doc = { name, type: 'openai', baseUrl: base };
  const keys: unknown[] = [];
  if (Array.isArray(entry['api-key-entries'])) {
    entry['api-key-entries'].forEach((raw: unknown, j) => {
      const at = `${where}.api-key-entries[${j}]`;
      const key = isRecord(raw) ? text(raw['api-key']) : undefined;
      if (!isRecord(raw) || key === undefined) return ctx.note(at, 'no api-key: CLIProxyAPI calls the upstream without one, a Switchyard key cannot be empty, so the entry is left out');
      keys.push(simplify(keyEntry(raw, key, at, COMPAT_KEY_FIELDS, disableCooling, ctx)));
    });
  }
  if (keys.length === 0) {
    ctx.note(`${where}.api-key-entries`, 'none: CLIProxyAPI calls this upstream without a key, a Switchyard provider serves only through its keys: add one to apiKeys (any value, for an upstream that ignores it)');
  }
  provider.apiKeys = keys;
  const models = modelsOf(entry.models, where, ctx);
  if (models) provider.models = models;
  const priority = integer(entry.priority);
  if (priority !== undefined && priority !== 0) provider.priority = priority;
  const headers = headersOf(entry.headers, where, ctx);
  if (headers) provider.headers = headers;
  const requestRetry = integer(entry['request-retry']);
  // Below 0 inherits the global setting, as leaving it out does in Switchyard.
  if (requestRetry !== undefined && requestRetry >= 0) provider.requestRetry = requestRetry;
  if (disableCooling) provider.disableCooling = true;
  reportRest(entry, where, COMPAT_FIELDS, ctx);
  return provider;
}

/**
 * A Switchyard key entry from a CLIProxyAPI one; `fields` are those CLIProxyAPI reads there,
 * `baseUrl` the key's own upstream URL when its provider has none for every key.
 */
function keyEntry(entry: Doc, key: string, where: string, fields: ReadonlySet<string>, providerCooling: boolean, ctx: Context, baseUrl?: string): Doc {
  const out: Doc = { key };
  const priority = fields.has('priority') ? integer(entry.priority) : undefined;
  if (priority !== undefined && priority !== 0) out.priority = priority;
  const weight = integer(entry.weight);
  if (weight !== undefined && weight > 1) out.weight = weight;
  else if (weight !== undefined && weight <= 0 && ctx.weighted) {
    ctx.note(`${where}.weight`, `${weight}: CLIProxyAPI leaves this key out of weighted-round-robin; Switchyard weights are positive, so it keeps the default weight 1`);
  }
  if (fields.has('models')) {
    const models = modelsOf(entry.models, where, ctx);
    if (models) out.models = models;
  }
  if (fields.has('excluded-models') && Array.isArray(entry['excluded-models'])) {
    const excluded = entry['excluded-models'].map(text).filter((m) => m !== undefined);
    if (excluded.length > 0) out.excludedModels = excluded;
  }
  if (baseUrl !== undefined) out.baseUrl = baseUrl;
  const proxy = proxyOf(entry['proxy-url']);
  if (proxy !== undefined) out.proxyUrl = proxy;
  if (fields.has('headers')) {
    const headers = headersOf(entry.headers, where, ctx);
    if (headers) out.headers = headers;
  }
  const requestRetry = fields.has('request-retry') ? integer(entry['request-retry']) : undefined;
  if (requestRetry !== undefined && requestRetry >= 0) out.requestRetry = requestRetry;
  // Set either way, it overrides the provider's (and the global) setting for this key.
  const cooling = fields.has('disable-cooling') ? entry['disable-cooling'] : undefined;
  if (typeof cooling === 'boolean' && cooling !== providerCooling) out.disableCooling = cooling;
  reportRest(entry, where, fields, ctx);
  return out;
}

/** A key with no settings of its own stays a plain string. */
function simplify(entry: Doc): unknown {
  return Object.keys(entry).length === 1 ? entry.key : entry;
}

/** Reports each setting of `entry` outside `handled` that is not at its off value. */
function reportRest(entry: Doc, where: string, handled: ReadonlySet<string>, ctx: Context): void {
  for (const [key, value] of Object.entries(entry)) {
    if (handled.has(key) || isOff(value)) continue;
    ctx.note(`${where}.${key}`, UNCARRIED_IN_ENTRY[key] ?? (handled === COMPAT_KEY_FIELDS ? 'CLIProxyAPI reads only api-key, weight and proxy-url here: left out' : 'not a CLIProxyAPI setting this import knows'));
  }
}

function modelsOf(value: unknown, where: string, ctx: Context): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const models = value.flatMap((model: unknown, j) => {
    if (typeof model === 'string') return model.trim() === '' ? [] : [model.trim()];
    if (!isRecord(model)) return [];
    const name = text(model.name);
    const alias = text(model.alias);
    for (const [key, v] of Object.entries(model)) {
      if (key !== 'name' && key !== 'alias' && !isOff(v)) ctx.note(`${where}.models[${j}].${key}`, MODEL_META);
    }
    if (name === undefined) return [];
    return [alias !== undefined && alias !== name ? { name, alias } : name];
  });
  return models.length > 0 ? models : undefined;
}

/**
 * Fixed header values, trimmed, empty ones dropped (as CLIProxyAPI does). A `$X` value copies the
 * client's header X in CLIProxyAPI, which Switchyard cannot do: reported and left out.
 */
function headersOf(value: unknown, where: string, ctx: Context): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const headers: Record<string, string> = {};
  for (const [rawName, rawValue] of Object.entries(value)) {
    const name = rawName.trim();
    const v = text(rawValue);
    if (name === '' || v === undefined) continue;
    if (v.startsWith('$')) ctx.note(`${where}.headers.${name}`, `"${v}" copies the client's ${v.slice(1)} header in CLIProxyAPI; Switchyard sends fixed header values only`);
    else headers[name] = v;
  }
  return Object.keys(headers).length > 0 ? headers : undefined;
}
