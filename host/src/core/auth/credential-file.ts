/**
 * Credential files: JSON `{provider, type, label?, ...material}` (CONTRACT section 5), the way
 * credentials that expire come in: OAuth tokens with their refresh token, cloud service
 * accounts. Everything but `provider`, `type` and `label` is secret material, seen only by the
 * auth plugin of its type. What a refresh hands back to keep (a rotated refresh token) is
 * written back atomically: a crash mid-write leaves the old file or the new one, never neither.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';

export interface CredentialFile {
  /** Absolute path: the file's identity (its state key is made from it). */
  path: string;
  provider: string;
  type: string;
  label?: string;
  /** Every other field of the file. Secret. */
  material: Record<string, unknown>;
}

/** A file that cannot be a credential: the message names the file and what is wrong, never a value. */
export class CredentialFileError extends Error {
  override name = 'CredentialFileError';
}

/** Parses a credential file's text. Throws {@link CredentialFileError}. */
export function parseCredentialFile(path: string, text: string): CredentialFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CredentialFileError(`${path}: not JSON`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new CredentialFileError(`${path}: expected a JSON object`);
  const { provider, type, label, ...material } = data as Record<string, unknown>;
  if (typeof provider !== 'string' || provider === '') throw new CredentialFileError(`${path}: provider: expected the name of a provider`);
  if (typeof type !== 'string' || type === '') throw new CredentialFileError(`${path}: type: expected a credential type (oauth2, service_account, ...)`);
  if (label !== undefined && typeof label !== 'string') throw new CredentialFileError(`${path}: label: expected a string`);
  return { path, provider, type, ...(label === undefined ? {} : { label }), material };
}

export async function readCredentialFile(path: string): Promise<CredentialFile> {
  return parseCredentialFile(path, await readFile(path, 'utf8'));
}

/** `expires_at` and the like: RFC 3339, epoch seconds or epoch ms, as epoch ms. */
export function parseExpiry(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    if (/^\d+$/.test(value)) return parseExpiry(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Merges `changes` into the file at `path` and writes it atomically: the whole new content to
 * a temporary file beside it, flushed to disk, then renamed over the old one.
 */
export async function writeBack(path: string, changes: Record<string, unknown>): Promise<void> {
  const current = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const next = { ...current, ...changes };
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(next, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
