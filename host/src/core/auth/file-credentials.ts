/**
 * Credential files as the catalog's credentials: after a provider's API keys, each file that
 * names the provider (in `authDir/credentials/`) or that the provider lists, with the
 * provider's settings and an upstream that asks the file's {@link TokenSource} for its auth.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { DEFAULT_BASE_URLS, type ProviderConfig } from '../../config/schema.js';
import { vertexBaseUrl } from '../../upstream/vertex.js';
import type { Credential, ModelMapping, UpstreamSpec } from '../provider.js';
import type { Upstream } from '../../upstream/upstream.js';
import type { TokenSource } from '../../upstream/token-source.js';
import type { VertexTarget } from '../../upstream/vertex.js';
import type { CredentialFile } from './credential-file.js';

/** What the catalog is given of credential files. */
export interface FileCredentialSource {
  files: readonly CredentialFile[];
  /** The token source of `file`, kept across rebuilds (see `Refresher.source`); `key` is its state key. */
  source(file: CredentialFile, id: string, key: string): TokenSource;
}

/** A provider's credential files, in order: those it lists, then the folder's that name it. */
export function filesOf(p: ProviderConfig, files: readonly CredentialFile[]): CredentialFile[] {
  const listed = new Set(p.credentials);
  const mine = files.filter((f) => listed.has(f.path)).sort((a, b) => p.credentials.indexOf(a.path) - p.credentials.indexOf(b.path));
  for (const f of files) if (!listed.has(f.path) && f.provider === p.name) mine.push(f);
  return mine;
}

/**
 * A file's identity for shared state: its provider and its file name, never what it holds (its
 * token rotates). Hosts that each hold a copy of one credential under the same name share its
 * cooldowns, counters and refreshes.
 */
export function fileStateKey(provider: string, file: CredentialFile): string {
  return `${provider}:file:${createHash('sha256').update(basename(file.path)).digest('hex').slice(0, 16)}`;
}

/**
 * Where a service-account file's calls go on Vertex AI: its project, and its `location` (default
 * `us-central1`). Undefined for other files, and for providers Vertex does not serve.
 */
export function vertexTargetOf(file: CredentialFile, providerType: string): VertexTarget | undefined {
  if (file.type !== 'service_account' || (providerType !== 'gemini' && providerType !== 'anthropic')) return undefined;
  const project = file.material.project_id;
  const location = file.material.location;
  if (typeof project !== 'string' || project === '') return undefined;
  return { project, location: typeof location === 'string' && location !== '' ? location : 'us-central1' };
}

/** The label a file credential shows: its own, else its file name. */
export function fileLabel(file: CredentialFile): string {
  return file.label ?? basename(file.path);
}

/** What a provider's file credentials share with its keys. */
export interface ProviderShared {
  models: readonly ModelMapping[] | undefined;
  isExcluded(model: string): boolean;
  proxyUrl: string | undefined;
  upstreamFor(spec: UpstreamSpec): Upstream;
}

/**
 * The credentials of `p`'s files, numbered after its `start` API keys: the provider's settings,
 * each with an upstream that asks its file's token source for auth (a service account on a
 * Gemini or Anthropic provider calls Vertex AI).
 */
export function fileCredentials(p: ProviderConfig, files: FileCredentialSource, start: number, shared: ProviderShared): Credential[] {
  return filesOf(p, files.files).map((file, i): Credential => {
    const index = start + i;
    const id = `${p.name}#${index}`;
    const vertex = vertexTargetOf(file, p.type);
    const key = fileStateKey(p.name, file);
    return {
      id,
      provider: p.name,
      index,
      label: fileLabel(file),
      key,
      priority: p.priority,
      weight: p.weight,
      requestRetry: p.requestRetry,
      disableCooling: p.disableCooling,
      models: shared.models,
      filter: undefined,
      isExcluded: shared.isExcluded,
      upstream: shared.upstreamFor({
        kind: 'http',
        type: p.type,
        baseUrl: p.baseUrl ?? (vertex ? vertexBaseUrl(vertex.location) : DEFAULT_BASE_URLS[p.type]),
        auth: { source: files.source(file, id, key) },
        headers: p.headers,
        proxyUrl: shared.proxyUrl,
        ...(vertex && { vertex }),
      }),
    };
  });
}
