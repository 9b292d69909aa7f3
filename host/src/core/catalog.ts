/**
 * The providers of a config, built once per config: each credential with its effective settings
 * and upstream, and the model names it answers to (its own list, its provider's, or what the
 * upstream listed for it), with aliases. Every credential registers its names in the
 * {@link ModelRegistry}, which orders providers per model; the pools the conductor chooses among
 * are derived per name and cached, boundedly, since clients choose the names.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Config, ProviderConfig } from '../config/schema.js';
import { DEFAULT_BASE_URLS } from '../config/schema.js';
import type { FormatName } from '../formats/ir.js';
import type { Upstream } from '../upstream/upstream.js';
import type { Pool, PoolMember } from './conductor/pool.js';
import type { Credential, ModelMapping, ProviderRuntime, UpstreamSpec } from './provider.js';
import { isCooling } from './conductor/cooldown.js';
import { ModelRegistry, type Unavailable } from './registry/registry.js';
import type { StateStore } from './state/types.js';
import { type FileCredentialSource, fileCredentials } from './auth/file-credentials.js';

/** An executor plugin's provider, as the catalog needs it. */
export interface ExecutorSpec {
  pluginId: string;
  provider: string;
  format: FormatName;
  models: readonly { id: string }[];
}

/** What a catalog is built with besides its config. */
export interface CatalogOptions {
  /** Makes the upstream of each credential. */
  upstreamFor(spec: UpstreamSpec): Upstream;
  /** The cooldowns in force: the registry's availability is derived from them (none: all available). */
  store?: Pick<StateStore, 'modelState'>;
  /** Credential files (OAuth tokens, service accounts) and their token sources. */
  files?: FileCredentialSource;
}

/** Pools kept per name at most: names come from clients, so misses must not grow memory. */
const MAX_CACHED_POOLS = 10_000;

/** The names one credential answers to: client name -> the upstream models behind it. */
type Routes = ReadonlyMap<string, readonly string[]>;

export class Catalog {
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  readonly registry: ModelRegistry;
  /** Provider keys with at least one credential or an executor: what routers may target. */
  readonly availableProviders: readonly string[];
  /** Executor plugins whose provider key a configured provider already uses (config wins). */
  readonly shadowedExecutors: readonly string[];
  /** Credential id -> its routes. */
  readonly #routes = new Map<string, Routes>();
  readonly #credentials = new Map<string, Credential>();
  /** Names configured for providers that have no credential: known, so a request for one is a 503, not a 404. */
  readonly #keyless = new Set<string>();
  readonly #pools = new Map<string, Pool | null>();

  constructor(config: Config, executors: readonly ExecutorSpec[], options: CatalogOptions) {
    const { store } = options;
    this.registry = new ModelRegistry(store ? (id, name, now) => this.#unavailable(store, id, name, now) : undefined);
    const providers = new Map<string, ProviderRuntime>();
    for (const p of config.providers) {
      const runtime = buildProvider(p, config.proxyUrl, options.upstreamFor, options.files);
      providers.set(p.name, runtime);
      if (runtime.credentials.length === 0) for (const name of routesOf(p.models?.map(toMapping) ?? [], () => false).keys()) this.#keyless.add(name);
    }
    const shadowed: string[] = [];
    for (const e of executors) {
      if (providers.has(e.provider)) {
        shadowed.push(e.pluginId);
        continue;
      }
      providers.set(e.provider, executorProvider(e, options.upstreamFor));
    }
    this.providers = providers;
    this.shadowedExecutors = shadowed;
    this.availableProviders = [...providers.values()].filter((p) => p.credentials.length > 0).map((p) => p.name);
    for (const provider of providers.values()) {
      for (const c of provider.credentials) {
        this.#credentials.set(c.id, c);
        if (c.models) this.#register(c, routesOf(c.models, c.isExcluded));
      }
    }
  }

  /** A credential by id (`provider#index`). */
  credential(id: string): Credential | undefined {
    return this.#credentials.get(id);
  }

  /**
   * Registers what the upstream listed for a credential whose models are not configured: its
   * key's `models`, when given, narrow the listing and name its aliases.
   */
  setListedModels(credentialId: string, listed: readonly string[]): void {
    const credential = this.#credentials.get(credentialId);
    if (!credential || credential.models) return;
    let mappings: ModelMapping[] = listed.map((name) => ({ name }));
    if (credential.filter) {
      const available = new Set(listed);
      mappings = credential.filter.filter((m) => available.has(m.name));
    }
    this.#register(credential, routesOf(mappings, credential.isExcluded));
  }

  /** The models the upstream listed for a credential last (for carrying them over a rebuild). */
  listedModels(credentialId: string): string[] | undefined {
    const credential = this.#credentials.get(credentialId);
    if (!credential || credential.models) return undefined;
    const routes = this.#routes.get(credentialId);
    return routes && [...new Set([...routes.values()].flat())];
  }

  /**
   * The pool serving a client model name: every credential of every provider registering it
   * (providers in registry order), or of the one provider a `provider/model` name points at.
   * Undefined when nothing serves it.
   */
  pool(name: string): Pool | undefined {
    let pool = this.#pools.get(name);
    if (pool === undefined) {
      pool = this.#buildPool(name) ?? null;
      // Oldest first out: Maps iterate in insertion order.
      if (this.#pools.size >= MAX_CACHED_POOLS) this.#pools.delete(this.#pools.keys().next().value!);
      this.#pools.set(name, pool);
    }
    return pool ?? undefined;
  }

  /** How many names have a cached pool (or a cached miss): bounded, whatever clients send. */
  get cachedPools(): number {
    return this.#pools.size;
  }

  /** The upstream models a credential serves, by the names it answers to. */
  modelsOf(credentialId: string): string[] {
    const routes = this.#routes.get(credentialId);
    return routes ? [...new Set([...routes.values()].flat())] : [];
  }

  /** Whether any provider answers to `name`, keyless ones included. */
  knows(name: string): boolean {
    return this.registry.has(name) || this.#keyless.has(name);
  }

  /**
   * What holds a credential back from a name now: every upstream model behind it cooling (an
   * alias pool is usable while one member is), until the first of them ends.
   */
  #unavailable(store: Pick<StateStore, 'modelState'>, credentialId: string, name: string, now: number): Unavailable | undefined {
    const credential = this.#credentials.get(credentialId);
    if (!credential) return undefined;
    let held: Unavailable | undefined;
    for (const model of this.#routes.get(credentialId)?.get(name) ?? [name]) {
      const state = store.modelState(credential.key, model);
      if (!state || !isCooling(state, now)) return undefined;
      // Quota wins the reason: a member waiting only for quota comes back by itself.
      const reason = held && held.reason === 'quota' ? held.reason : state.reason;
      held = { reason, until: Math.min(state.until, held?.until ?? Infinity) };
    }
    return held;
  }

  #buildPool(name: string): Pool | undefined {
    const providers = this.registry.providers(name);
    if (providers.length > 0) {
      const members = providers.flatMap((p) =>
        this.providers.get(p)!.credentials.flatMap((c) => {
          const models = this.#routes.get(c.id)?.get(name);
          return models ? [member(this.providers.get(p)!, c, models, name)] : [];
        }),
      );
      return { key: name, label: providers.length === 1 ? `${providers[0]}/${name}` : name, members };
    }
    const slash = name.indexOf('/');
    if (slash <= 0) return undefined;
    const provider = this.providers.get(name.slice(0, slash));
    const rest = name.slice(slash + 1);
    if (!provider || !rest) return undefined;
    const members = provider.credentials.flatMap((c) => {
      const listed = this.#routes.get(c.id)?.get(rest);
      if (listed) return [member(provider, c, listed, rest)];
      // A qualified name may reach models the credential does not list; the upstream decides.
      return c.isExcluded(rest) ? [] : [member(provider, c, [rest], name)];
    });
    // Every key excludes it: unknown. A provider without keys: known, but unservable.
    if (members.length === 0 && provider.credentials.length > 0) return undefined;
    return { key: name, label: `${provider.name}/${members[0]?.model ?? rest}`, members };
  }

  #register(credential: Credential, routes: Routes): void {
    this.#routes.set(credential.id, routes);
    this.registry.register(credential.id, credential.provider, [...routes.keys()]);
    this.#pools.clear();
  }
}

function member(provider: ProviderRuntime, credential: Credential, models: readonly string[], registered: string): PoolMember {
  return {
    id: credential.id,
    provider: provider.name,
    priority: credential.priority,
    weight: credential.weight,
    credential,
    providerRuntime: provider,
    model: models[0]!,
    models,
    registered,
  };
}

/**
 * Client name -> upstream models. An alias repeated over several models is a pool; an excluded
 * model (by its upstream name or its alias) is left out.
 */
function routesOf(models: readonly ModelMapping[], isExcluded: (name: string) => boolean): Routes {
  const routes = new Map<string, string[]>();
  for (const m of models) {
    const name = m.alias ?? m.name;
    if (isExcluded(m.name) || isExcluded(name)) continue;
    const pool = routes.get(name);
    if (!pool) routes.set(name, [m.name]);
    else if (!pool.includes(m.name)) pool.push(m.name);
  }
  return routes;
}

function toMapping(entry: string | ModelMapping): ModelMapping {
  return typeof entry === 'string' ? { name: entry } : entry;
}

function buildProvider(p: ProviderConfig, topProxy: string | undefined, upstreamFor: CatalogOptions['upstreamFor'], files?: FileCredentialSource): ProviderRuntime {
  const keyed = p.apiKeys.map((entry, index): Credential => {
    const own = typeof entry === 'string' ? { key: entry } : entry;
    // The most specific proxy wins; "direct" means none.
    const proxy = own.proxyUrl ?? p.proxyUrl ?? topProxy;
    const excluded = (own.excludedModels ?? p.excludedModels).map(wildcard);
    // On a listed provider a key's models narrow the listing; on a configured one they replace the list.
    const configured = p.models?.map(toMapping);
    const keyModels = own.models?.map(toMapping);
    return {
      id: `${p.name}#${index}`,
      provider: p.name,
      index,
      label: own.label ?? `${p.name} key ${index + 1}`,
      key: `${p.name}:${createHash('sha256').update(own.key).digest('hex').slice(0, 16)}`,
      priority: own.priority ?? p.priority,
      weight: own.weight ?? p.weight,
      requestRetry: own.requestRetry ?? p.requestRetry,
      disableCooling: own.disableCooling ?? p.disableCooling,
      models: configured ? (keyModels ?? configured) : undefined,
      filter: configured ? undefined : keyModels,
      isExcluded: (model) => excluded.some((re) => re.test(model)),
      upstream: upstreamFor({
        kind: 'http',
        type: p.type,
        baseUrl: own.baseUrl ?? p.baseUrl ?? DEFAULT_BASE_URLS[p.type],
        auth: { apiKey: own.key },
        // A key's headers add to its provider's, and win where both set one.
        headers: { ...p.headers, ...own.headers },
        proxyUrl: proxy === 'direct' ? undefined : proxy,
      }),
    };
  });
  const proxy = p.proxyUrl ?? topProxy;
  const excluded = p.excludedModels.map(wildcard);
  const filed = files
    ? fileCredentials(p, files, keyed.length, {
        models: p.models?.map(toMapping),
        isExcluded: (model) => excluded.some((re) => re.test(model)),
        proxyUrl: proxy === 'direct' ? undefined : proxy,
        upstreamFor,
      })
    : [];
  return { name: p.name, type: p.type, credentials: [...keyed, ...filed], discoveryInterval: p.discoveryInterval };
}

/** An executor plugin as a provider: one credential slot, so cooldowns apply to it like to a key. */
function executorProvider(e: ExecutorSpec, upstreamFor: CatalogOptions['upstreamFor']): ProviderRuntime {
  const credential: Credential = {
    id: `${e.provider}#0`,
    provider: e.provider,
    index: 0,
    label: `plugin ${e.pluginId}`,
    key: `${e.provider}:plugin:${e.pluginId}`,
    priority: 0,
    weight: 1,
    disableCooling: false,
    models: e.models.map((m) => ({ name: m.id })),
    filter: undefined,
    isExcluded: () => false,
    upstream: upstreamFor({ kind: 'executor', pluginId: e.pluginId, format: e.format }),
  };
  return { name: e.provider, type: e.format, credentials: [credential], discoveryInterval: 0, plugin: e.pluginId };
}

/** `*-preview` style patterns as anchored, case-insensitive regular expressions. */
export function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}
