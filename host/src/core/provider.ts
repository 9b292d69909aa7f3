/**
 * A provider as the core sees it once its config is built: its credentials, each with the
 * upstream its attempts go to, and what choosing among them needs.
 *
 * @module
 */
import type { FormatName } from '../formats/ir.js';
import type { Upstream } from '../upstream/upstream.js';

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
  /** Where attempts with this credential go: an HTTP provider with its key, or an executor plugin. Holds the secret: never serialise it. */
  readonly upstream: Upstream;
}

/** What an {@link Upstream} is made from; the runtime that builds the catalog makes them. */
export type UpstreamSpec =
  | { kind: 'http'; type: FormatName; baseUrl: string; apiKey: string; headers: Record<string, string> }
  | { kind: 'executor'; pluginId: string; format: FormatName };

export interface ProviderRuntime {
  readonly name: string;
  readonly type: FormatName;
  readonly priority: number;
  readonly weight: number;
  readonly credentials: readonly Credential[];
  /** True when the config lists no models, so they are listed from the upstream. */
  readonly discoversModels: boolean;
  /** The executor plugin serving this provider, when it is not an HTTP upstream. */
  readonly plugin?: string;
  isExcluded(model: string): boolean;
}

