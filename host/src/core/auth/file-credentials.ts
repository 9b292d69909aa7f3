/**
 * Credential files as the catalog's credentials: after a provider's API keys, each file that
 * names the provider (in `authDir/credentials/`) or that the provider lists, with the
 * provider's settings and an upstream that asks the file's {@link TokenSource} for its auth.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ProviderConfig } from '../../config/schema.js';
import type { TokenSource } from '../../upstream/token-source.js';
import type { CredentialFile } from './credential-file.js';

/** What the catalog is given of credential files. */
export interface FileCredentialSource {
  files: readonly CredentialFile[];
  /** The token source of `file`, kept across rebuilds (see `Refresher.source`). */
  source(file: CredentialFile, id: string): TokenSource;
}

/** A provider's credential files, in order: those it lists, then the folder's that name it. */
export function filesOf(p: ProviderConfig, files: readonly CredentialFile[]): CredentialFile[] {
  const listed = new Set(p.credentials);
  const mine = files.filter((f) => listed.has(f.path)).sort((a, b) => p.credentials.indexOf(a.path) - p.credentials.indexOf(b.path));
  for (const f of files) if (!listed.has(f.path) && f.provider === p.name) mine.push(f);
  return mine;
}

/** A file's identity for persisted state: where it is, never what it holds (its token rotates). */
export function fileStateKey(provider: string, file: CredentialFile): string {
  return `${provider}:file:${createHash('sha256').update(file.path).digest('hex').slice(0, 16)}`;
}

/** The label a file credential shows: its own, else its file name. */
export function fileLabel(file: CredentialFile): string {
  return file.label ?? basename(file.path);
}
