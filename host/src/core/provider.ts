/**
 * Providers and credentials as the core sees them once a config is built: each credential with
 * its own effective settings (a key's own override its provider's) and the upstream its attempts
 * go to.
 *
 * @module
 */
import type { FormatName } from '../formats/ir.js';
import type { HttpAuth } from '../upstream/http.js';
import type { VertexTarget } from '../upstream/vertex.js';
import type { Upstream } from '../upstream/upstream.js';

/** A model entry of a config: the upstream name, and the name clients use when it differs. */
export interface ModelMapping {
  name: string;
  alias?: string;
}

/** One API key of a provider. `id` (`provider#index`) is what logs, headers and management show. */
export interface Credential {
  readonly id: string;
  readonly provider: string;
  readonly index: number;
  /** A human label that never contains the key. */
  readonly label: string;
  /**
   * Stable identity for persisted state: the provider and a fingerprint of the API key, so a
   * cooldown stays with its key when keys are added, removed or reordered.
   */
  readonly key: string;
  /** Higher is used first. */
  readonly priority: number;
  /** For `routing.strategy: weighted`; positive. */
  readonly weight: number;
  /** Retry rounds this credential takes part in (`retry.requestRetry` unless overridden). */
  readonly requestRetry?: number;
  /** A failure fails over but never benches this credential. */
  readonly disableCooling: boolean;
  /**
   * The models this credential serves by configuration; undefined when they are listed from the
   * upstream (then, when set, `filter` narrows the listing and names its aliases).
   */
  readonly models: readonly ModelMapping[] | undefined;
  /** A key's own `models` on a listed provider: the listing is narrowed to these. */
  readonly filter: readonly ModelMapping[] | undefined;
  /** Whether this credential may not serve `model` (its upstream name or an alias of it). */
  isExcluded(model: string): boolean;
  /** Where attempts with this credential go: an HTTP provider with its key, or an executor plugin. Holds the secret: never serialise it. */
  readonly upstream: Upstream;
}

/** What an {@link Upstream} is made from; the runtime that builds the catalog makes them. */
export type UpstreamSpec =
  | { kind: 'http'; type: FormatName; baseUrl: string; auth: HttpAuth; headers: Record<string, string>; proxyUrl?: string; vertex?: VertexTarget }
  | { kind: 'executor'; pluginId: string; format: FormatName };

export interface ProviderRuntime {
  readonly name: string;
  readonly type: FormatName;
  readonly credentials: readonly Credential[];
  /** How often listed credentials list their models again, in ms. */
  readonly discoveryInterval: number;
  /** The executor plugin serving this provider, when it is not an HTTP upstream. */
  readonly plugin?: string;
}
