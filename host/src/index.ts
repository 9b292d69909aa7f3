/**
 * `@switchyard/host`: start a gateway from code.
 *
 * @module
 */
export { Gateway, type GatewayOptions } from './gateway.js';
export { loadConfig, ConfigError, type LoadOptions, type LoadedConfig } from './config/load.js';
export type { Config, ProviderConfig } from './config/schema.js';
export { createLogger } from './log.js';
