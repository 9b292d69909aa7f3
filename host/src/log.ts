/**
 * The host logger: pino, with every header that can carry a secret redacted.
 *
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

/** Paths pino censors wherever they appear in a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  'apiKey',
  'apiKeys',
  'managementKey',
];

export function createLogger(level = process.env.SWITCHYARD_LOG_LEVEL ?? 'info'): FastifyBaseLogger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'switchyard' } }) as FastifyBaseLogger;
}
