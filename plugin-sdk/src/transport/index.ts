/**
 * `@switchyard/plugin-sdk/transport`: the host side of the plugin transport, the counterpart of
 * the worker runtime (`@switchyard/plugin-sdk/worker`). The Switchyard host's supervisor and the
 * plugin test harness both run plugins through it, so a plugin under test runs exactly as it
 * does in the gateway.
 *
 * @module
 */
export { INTERNAL_ERROR, PluginCallError, describe, runCall, type CallOptions, type PluginCallErrorKind } from './call.js';
export { Generation, workerEntry, type FailureHook, type GenerationSpec } from './generation.js';
