/**
 * The providers of a config, built once per config: each provider's credentials (with their
 * upstreams built once) and the model names it serves, with aliases.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { FormatName } from '../formats/ir.js';
import type { Config, ProviderConfig } from '../config/schema.js';
import { DEFAULT_BASE_URLS } from '../config/schema.js';
import type { Upstream } from '../upstream/upstream.js';
import type { Credential, ProviderRuntime, UpstreamSpec } from './provider.js';
import type { Pool, PoolMember } from './conductor/pool.js';
import { ModelRegistry } from './registry/registry.js';

/**
 * The providers of a config and the names each answers to. Every credential registers its
 * provider's names in the {@link ModelRegistry}, which orders providers per model; the pools
 * the conductor chooses among are derived once per name and cached.
 */
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
}

export class Catalog {
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  readonly registry = new ModelRegistry();
  /** Provider keys with at least one credential or an executor: what routers may target. */
  readonly availableProviders: readonly string[];
  /** Executor plugins whose provider key a configured provider already uses (config wins). */
  readonly shadowedExecutors: readonly string[];
  readonly #routes = new Map<string, ProviderRoutes>();
  readonly #pools = new Map<string, Pool | null>();

  constructor(config: Config, executors: readonly ExecutorSpec[], options: CatalogOptions) {
    const providers = new Map<string, ProviderRuntime>();
    for (const p of config.providers) {
      const runtime = buildProvider(p, options.upstreamFor);
      providers.set(p.name, runtime);
      this.#routes.set(p.name, new ProviderRoutes(runtime, p.models ? p.models.map(toMapping) : []));
    }
    const shadowed: string[] = [];
    for (const e of executors) {
      if (providers.has(e.provider)) {
        shadowed.push(e.pluginId);
        continue;
      }
      const runtime = executorProvider(e, options.upstreamFor);
      providers.set(e.provider, runtime);
      this.#routes.set(e.provider, new ProviderRoutes(runtime, e.models.map((m) => ({ name: m.id }))));
    }
    this.providers = providers;
    this.shadowedExecutors = shadowed;
    this.availableProviders = [...providers.values()].filter((p) => p.credentials.length > 0).map((p) => p.name);
    for (const routes of this.#routes.values()) this.#register(routes);
  }

  /** Replaces the models a provider serves (from the upstream's listing). */
  setDiscoveredModels(provider: string, models: readonly string[]): void {
    const routes = this.#routes.get(provider);
    if (!routes?.provider.discoversModels) return;
    routes.set(models.map((name) => ({ name })));
    this.#register(routes);
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
      this.#pools.set(name, pool);
    }
    return pool ?? undefined;
  }

  /** The upstream models a provider serves by name (listed or discovered). */
  upstreamModels(provider: string): string[] {
    const routes = this.#routes.get(provider);
    return routes ? [...new Set([...routes.byName.values()].map((r) => r.model))] : [];
  }

  /** The client names under which `provider` serves upstream `model` (the model and its aliases). */
  namesFor(provider: string, model: string): string[] {
    const routes = this.#routes.get(provider);
    if (!routes) return [];
    const names: string[] = [];
    for (const route of routes.byName.values()) if (route.model === model) names.push(route.name);
    return names;
  }

  /** Whether any provider lists `name`, keyless ones included. */
  knows(name: string): boolean {
    for (const routes of this.#routes.values()) if (routes.byName.has(name)) return true;
    return false;
  }

  #buildPool(name: string): Pool | undefined {
    const providers = this.registry.providers(name);
    if (providers.length > 0) {
      const members = providers.flatMap((p) => {
        const routes = this.#routes.get(p)!;
        const route = routes.byName.get(name)!;
        return routes.provider.credentials.map((c) => member(routes.provider, c, route.model, name));
      });
      return { key: name, label: providers.length === 1 ? `${providers[0]}/${name}` : name, members };
    }
    const slash = name.indexOf('/');
    if (slash <= 0) return undefined;
    const routes = this.#routes.get(name.slice(0, slash));
    const rest = name.slice(slash + 1);
    if (!routes || !rest) return undefined;
    // A qualified name may reach models the provider does not list; the upstream decides.
    const model = routes.byName.get(rest)?.model ?? (routes.provider.isExcluded(rest) ? undefined : rest);
    if (model === undefined) return undefined;
    const members = routes.provider.credentials.map((c) => member(routes.provider, c, model, routes.byName.has(rest) ? rest : name));
    return { key: name, label: `${routes.provider.name}/${model}`, members };
  }

  #register(routes: ProviderRoutes): void {
    const names = [...routes.byName.keys()];
    for (const c of routes.provider.credentials) this.registry.register(c.id, routes.provider.name, names);
    this.#pools.clear();
  }
}

function member(provider: ProviderRuntime, credential: Credential, model: string, registered: string): PoolMember {
  return { id: credential.id, provider: provider.name, priority: provider.priority, weight: provider.weight, credential, providerRuntime: provider, model, registered };
}

interface ModelMapping {
  name: string;
  alias?: string;
}

interface ModelRoute {
  /** The name clients use (an alias, or the upstream name). */
  readonly name: string;
  /** The name the upstream knows. */
  readonly model: string;
}

/** The model names one provider answers to. */
class ProviderRoutes {
  byName = new Map<string, ModelRoute>();
  constructor(readonly provider: ProviderRuntime, models: readonly ModelMapping[]) {
    this.set(models);
  }
  set(models: readonly ModelMapping[]): void {
    this.byName = new Map();
    for (const m of models) {
      if (this.provider.isExcluded(m.name)) continue;
      const name = m.alias ?? m.name;
      this.byName.set(name, { name, model: m.name });
    }
  }
}

function toMapping(entry: string | { name: string; alias?: string }): ModelMapping {
  return typeof entry === 'string' ? { name: entry } : entry;
}

function buildProvider(p: ProviderConfig, upstreamFor: CatalogOptions['upstreamFor']): ProviderRuntime {
  const baseUrl = p.baseUrl ?? DEFAULT_BASE_URLS[p.type];
  const credentials = p.apiKeys.map((key, index) => ({
    id: `${p.name}#${index}`,
    provider: p.name,
    index,
    label: `${p.name} key ${index + 1}`,
    key: `${p.name}:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`,
    upstream: upstreamFor({ kind: 'http', type: p.type, baseUrl, apiKey: key, headers: p.headers }),
  }));
  const excluded = p.excludedModels.map(wildcard);
  return {
    name: p.name,
    type: p.type,
    priority: p.priority,
    weight: p.weight,
    credentials,
    discoversModels: p.models === undefined,
    isExcluded: (model) => excluded.some((re) => re.test(model)),
  };
}

/** An executor plugin as a provider: one credential slot, so cooldowns apply to it like to a key. */
function executorProvider(e: ExecutorSpec, upstreamFor: CatalogOptions['upstreamFor']): ProviderRuntime {
  const credential: Credential = {
    id: `${e.provider}#0`,
    provider: e.provider,
    index: 0,
    label: `plugin ${e.pluginId}`,
    key: `${e.provider}:plugin:${e.pluginId}`,
    upstream: upstreamFor({ kind: 'executor', pluginId: e.pluginId, format: e.format }),
  };
  return { name: e.provider, type: e.format, priority: 0, weight: 1, credentials: [credential], discoversModels: false, plugin: e.pluginId, isExcluded: () => false };
}

/** `*-preview` style patterns as anchored regular expressions. */
export function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
