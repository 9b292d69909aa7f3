/**
 * The providers of a config, built once per config: each provider's credentials (with their
 * upstream endpoints precomputed) and the model names it serves, with aliases. Resolving a
 * client's model name to (provider, upstream model) candidates is a map lookup.
 *
 * @module
 */
import type { ModelListing } from '../formats/codec.js';
import type { FormatName } from '../formats/ir.js';
import type { Config, ProviderConfig } from '../config/schema.js';
import { DEFAULT_BASE_URLS } from '../config/schema.js';
import { type UpstreamEndpoint, upstreamEndpoint } from '../upstream/providers.js';

/** One API key of a provider. `id` (`provider#index`) is what logs, headers and management show. */
export interface Credential {
  readonly id: string;
  readonly provider: string;
  readonly index: number;
  /** A human label that never contains the key. */
  readonly label: string;
  /** Upstream address and auth headers. Contains the secret: never serialise a Credential. */
  readonly endpoint: UpstreamEndpoint;
}

export interface ProviderRuntime {
  readonly name: string;
  readonly type: FormatName;
  readonly priority: number;
  readonly weight: number;
  readonly credentials: readonly Credential[];
  /** True when the config lists no models, so they are listed from the upstream. */
  readonly discoversModels: boolean;
  isExcluded(model: string): boolean;
}

/** Where a model name can be served: a provider and the model name the upstream knows. */
export interface Target {
  readonly provider: ProviderRuntime;
  readonly model: string;
}

interface ModelRoute extends Target {
  /** The name clients use (an alias, or the upstream name). */
  readonly name: string;
}

export class Catalog {
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  readonly #routes = new Map<string, ProviderRoutes>();
  #byName = new Map<string, Target[]>();

  constructor(config: Config) {
    const providers = new Map<string, ProviderRuntime>();
    for (const p of config.providers) {
      const runtime = buildProvider(p);
      providers.set(p.name, runtime);
      this.#routes.set(p.name, new ProviderRoutes(runtime, p.models ? p.models.map(toMapping) : []));
    }
    this.providers = providers;
    this.#reindex();
  }

  /** Replaces the models a provider serves (from the upstream's listing). */
  setDiscoveredModels(provider: string, models: readonly string[]): void {
    const routes = this.#routes.get(provider);
    if (!routes?.provider.discoversModels) return;
    routes.set(models.map((name) => ({ name })));
    this.#reindex();
  }

  /**
   * The candidates for a client model name: providers serving it in config order, or the one
   * provider a `provider/model` name points at. Empty when nothing serves it.
   */
  resolve(name: string): readonly Target[] {
    const direct = this.#byName.get(name);
    if (direct) return direct;
    const slash = name.indexOf('/');
    if (slash > 0) {
      const routes = this.#routes.get(name.slice(0, slash));
      const rest = name.slice(slash + 1);
      if (routes && rest) {
        const route = routes.byName.get(rest);
        if (route) return [route];
        // A qualified name may reach models the provider does not list; the upstream decides.
        if (!routes.provider.isExcluded(rest)) return [{ provider: routes.provider, model: rest }];
      }
    }
    return [];
  }

  /** Every model name clients can use, once each, in listing shape. */
  list(): ModelListing[] {
    return [...this.#byName.entries()].map(([id, targets]) => ({ id, ownedBy: targets[0]!.provider.name, created: 0 }));
  }

  #reindex(): void {
    const byName = new Map<string, Target[]>();
    for (const routes of this.#routes.values()) {
      for (const route of routes.byName.values()) {
        const list = byName.get(route.name);
        if (list) list.push(route);
        else byName.set(route.name, [route]);
      }
    }
    this.#byName = byName;
  }
}

interface ModelMapping {
  name: string;
  alias?: string;
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
      this.byName.set(name, { name, provider: this.provider, model: m.name });
    }
  }
}

function toMapping(entry: string | { name: string; alias?: string }): ModelMapping {
  return typeof entry === 'string' ? { name: entry } : entry;
}

function buildProvider(p: ProviderConfig): ProviderRuntime {
  const baseUrl = p.baseUrl ?? DEFAULT_BASE_URLS[p.type];
  const credentials = p.apiKeys.map((key, index) => ({
    id: `${p.name}#${index}`,
    provider: p.name,
    index,
    label: `${p.name} key ${index + 1}`,
    endpoint: upstreamEndpoint(p.type, baseUrl, key, p.headers),
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

/** `*-preview` style patterns as anchored regular expressions. */
export function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
