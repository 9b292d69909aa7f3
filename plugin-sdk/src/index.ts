/**
 * `@switchyard/plugin-sdk`: the types and helpers plugin authors use, plus the wire contract
 * (protocol constants and zod schemas) the host shares with the worker runtime.
 *
 * @module
 */
export * from './protocol.js';
export * from './schema.js';
export type * from './types.js';
export { definePlugin } from './define.js';
export { UpstreamError } from './errors.js';
