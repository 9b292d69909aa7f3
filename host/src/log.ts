/**
 * The host logger: pino, with every place a secret can sit redacted: the headers that carry a
 * client, upstream or management key, the `?key=` query parameter, and the secret fields of a
 * config dump (client and upstream keys, the management key, providers' extra headers, plugin
 * configs).
 *
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import { type DestinationStream, pino } from 'pino';

/** Headers that can hold a key: client auth (three spellings), upstream auth, management auth. */
const SECRET_HEADERS = ['authorization', '["proxy-authorization"]', '["x-api-key"]', '["x-goog-api-key"]', '["x-management-key"]'];
/** Config fields holding secrets, wherever a config (or a part of it) is logged. */
const SECRET_CONFIG = ['apiKey', 'apiKeys', 'managementKey', 'proxyUrl', 'providers[*].apiKeys', 'providers[*].headers', 'providers[*].proxyUrl', 'plugins.items.*.config'];

const header = (prefix: string, name: string) => `${prefix}${name.startsWith('[') ? '' : '.'}${name}`;

/** Paths pino censors wherever they appear in a log line (top level, and one object down). */
export const REDACT_PATHS = [
  ...['headers', '*.headers'].flatMap((prefix) => SECRET_HEADERS.map((name) => header(prefix, name))),
  'query.key',
  '*.query.key',
  ...SECRET_CONFIG.flatMap((path) => [path, `*.${path}`]),
];

/**
 * Creates the host logger at `level` (default `SWITCHYARD_LOG_LEVEL`, else info), writing JSON
 * lines to stdout or to `destination`.
 */
export function createLogger(level = process.env.SWITCHYARD_LOG_LEVEL ?? 'info', destination?: DestinationStream): FastifyBaseLogger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'switchyard' } };
  return (destination ? pino(options, destination) : pino(options)) as FastifyBaseLogger;
}
