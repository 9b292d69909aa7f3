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

/** The client when client auth is off (a loopback host with no `apiKeys`). */
export const OPEN_CLIENT = 'open';

/**
 * The client a request comes from: the name of the first presented key that is a client key
 * ({@link OPEN_CLIENT} when auth is off). Throws 401 when none is.
 */
export function authenticate(keys: KeySet, headers: IncomingHttpHeaders, query: Record<string, unknown>): string {
  if (keys.open) return OPEN_CLIENT;
  const presented = presentedKeys(headers, query);
  if (presented.length === 0) throw gatewayError('unauthorized', 'Missing API key: send Authorization: Bearer <key>, x-api-key, x-goog-api-key or ?key=');
  for (const key of presented) {
    const client = keys.match(key);
    if (client !== undefined) return client;
  }
  throw gatewayError('unauthorized', 'Invalid API key');
}
