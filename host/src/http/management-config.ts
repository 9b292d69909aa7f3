/**
 * The config as the console shows it: `GET /v0/management/config` answers `{path, config}`, the
 * config in force with every secret `[redacted]`; `POST /v0/management/config/validate` reads the
 * file again and says whether a reload would take it (`{valid: true}` or `{valid: false, error}`),
 * applying nothing. `POST /reload` applies it.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';

export interface ConfigAccess {
  /** The file the running config came from (null: built-in defaults) and that config, redacted. */
  view(): { path: string | null; config: unknown };
  /** Whether the file as it is now on disk is a valid config; never applies it. */
  validate(): { valid: true } | { valid: false; error: string };
}

export function registerConfigRoutes(scope: FastifyInstance, access: ConfigAccess): void {
  scope.get('/config', async () => access.view());
  scope.post('/config/validate', async () => access.validate());
}
