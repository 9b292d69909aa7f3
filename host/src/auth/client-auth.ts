/**
 * Client authentication: the key may come as `Authorization: Bearer K`, `x-api-key: K`,
 * `x-goog-api-key: K` or `?key=K`, so each SDK authenticates the way it already does.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { gatewayError } from '../errors/registry.js';
import type { KeySet } from './keys.js';

/** The header names that carry client credentials; removed before headers reach plugins. */
export const CLIENT_AUTH_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key'] as const;

/** Every key the request presents, in the order above. */
export function presentedKeys(headers: IncomingHttpHeaders, query: Record<string, unknown>): string[] {
  const keys: string[] = [];
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(auth);
    keys.push(match ? match[1]!.trim() : auth.trim());
  }
  for (const name of ['x-api-key', 'x-goog-api-key'] as const) {
    const value = headers[name];
    if (typeof value === 'string') keys.push(value.trim());
  }
  if (typeof query.key === 'string') keys.push(query.key);
  return keys;
}

/** Throws 401 unless auth is off or one presented key is a client key. */
export function authenticate(keys: KeySet, headers: IncomingHttpHeaders, query: Record<string, unknown>): void {
  if (keys.open) return;
  const presented = presentedKeys(headers, query);
  if (presented.length === 0) throw gatewayError('unauthorized', 'Missing API key: send Authorization: Bearer <key>, x-api-key, x-goog-api-key or ?key=');
  if (!presented.some((k) => keys.has(k))) throw gatewayError('unauthorized', 'Invalid API key');
}
