/**
 * The `switchyard.yaml` schema (CONTRACT section 2). Every key is validated here and only here;
 * the rest of the host works with the parsed, defaulted {@link Config}.
 *
 * @module
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { FORMAT_NAMES } from '../formats/ir.js';
import { parseDuration } from './duration.js';

/** A duration in config, parsed to milliseconds. */
const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use 500ms, 2s, 5m, 1h or seconds)` });
    return z.NEVER;
  }
  return ms;
});

const modelEntry = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), alias: z.string().min(1).optional() }),
]);

/** Upstream base URLs when a provider gives none. Each includes the API version path. */
export const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
  'openai-responses': 'https://api.openai.com/v1',
} as const;

const baseUrl = z.url({ protocol: /^https?$/ });

/**
 * An outbound proxy: `http://`, `https://` or `socks5://` (optionally with `user:password@`),
 * or `direct` for none (overriding a less specific setting).
 */
const proxyUrl = z.string().refine(
  (value) => value === 'direct' || (URL.canParse(value) && /^(https?|socks5h?):$/.test(new URL(value).protocol) && new URL(value).hostname !== ''),
  'expected "direct" or an http://, https:// or socks5:// proxy URL',
);

/**
 * One upstream key with settings of its own: each one given overrides the provider's for this
 * credential (a free-tier key with fewer models, a key on a regional endpoint or behind its own proxy).
 */
const apiKeyEntry = z.strictObject({
  key: z.string().min(1),
  label: z.string().min(1).optional(),
  priority: z.number().int().optional(),
  weight: z.number().positive().optional(),
  models: z.array(modelEntry).optional(),
  excludedModels: z.array(z.string()).optional(),
  baseUrl: baseUrl.optional(),
  proxyUrl: proxyUrl.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  requestRetry: z.number().int().min(0).optional(),
  disableCooling: z.boolean().optional(),
});

const provider = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'provider names are lower-case letters, digits, "-", "_" or "."'),
  type: z.enum(FORMAT_NAMES),
  baseUrl: baseUrl.optional(),
  apiKeys: z.array(z.union([z.string().min(1), apiKeyEntry])).default([]),
  models: z.array(modelEntry).optional(),
  priority: z.number().int().default(0),
  weight: z.number().positive().default(1),
  headers: z.record(z.string(), z.string()).default({}),
  excludedModels: z.array(z.string()).default([]),
  /** Overrides the top-level `proxyUrl` for this provider's calls; a key's own overrides this. */
  proxyUrl: proxyUrl.optional(),
  /** Overrides `retry.requestRetry` for this provider's credentials. */
  requestRetry: z.number().int().min(0).optional(),
  /** A failure fails over but never benches the credential. */
  disableCooling: z.boolean().default(false),
  /** How often each credential's model list is fetched again (providers without `models`). */
  discoveryInterval: duration.default(3_600_000),
  /** Credential files (OAuth tokens, service accounts), besides or instead of apiKeys; relative to the config file. */
  credentials: z.array(z.string().min(1)).default([]),
});

/**
 * A plugin's config item. No defaults here: what the user leaves out falls back to the plugin
 * package's own `switchyard.defaults`, then to the built-in ones (resolved by the plugin host).
 */
export const pluginItem = z.strictObject({
  enabled: z.boolean().optional(),
  priority: z.number().int().optional(),
  threads: z.number().int().min(1).max(64).optional(),
  callTimeout: duration.optional(),
  env: z.array(z.string()).optional(),
  failClosed: z.boolean().optional(),
  config: z.unknown().optional(),
  /** Heap limit of each worker, in MB; a plugin that exceeds it is fused. */
  heapMb: z.number().int().min(16).max(4096).optional(),
});

export const configSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8317),
    /** Client keys; a named one shows by its name in logs and usage. */
    apiKeys: z.array(z.union([z.string().min(1), z.strictObject({ name: z.string().min(1), key: z.string().min(1) })])).default([]),
    managementKey: z.string().min(1).optional(),
    authDir: z.string().default('./auths'),
    /**
     * Where cooldowns, counters, sessions, cursors and stored conversations live: `memory`
     * (persisted to authDir) or `redis`, shared by every host and worker on one server.
     */
    state: z
      .strictObject({
        store: z.enum(['memory', 'redis']).default('memory'),
        url: z.string().min(1).optional(),
        keyPrefix: z.string().default('switchyard:'),
      })
      .refine((s) => s.store !== 'redis' || s.url !== undefined, { message: 'state.store redis needs state.url', path: ['url'] })
      .prefault({}),
    logging: z
      .strictObject({
        /** Decision traces: how many recent requests `/v0/management/requests` keeps (fixed at start). */
        requests: z.number().int().min(0).max(1_000_000).default(10_000),
        /** Bodies kept in the traces: none, those of requests answered with an error, or all (capped, redacted). */
        bodies: z.enum(['none', 'errors', 'all']).default('none'),
      })
      .prefault({}),
    /** On SIGTERM/SIGINT, how long in-flight requests and streams may take to finish before they are ended. */
    shutdownTimeout: duration.default(10_000),
    routing: z
      .strictObject({
        strategy: z.enum(['round-robin', 'fill-first', 'weighted', 'headroom']).default('round-robin'),
        /** A request's deadline unless the client asks for a shorter one (x-switchyard-timeout-ms, X-Stainless-Timeout). */
        timeout: duration.default(600_000),
        sessionAffinity: z.boolean().default(false),
        sessionAffinityTtl: duration.default(3_600_000),
      })
      .prefault({}),
    retry: z
      .strictObject({
        requestRetry: z.number().int().min(0).default(3),
        maxRetryCredentials: z.number().int().min(0).default(0),
        maxRetryInterval: duration.default(30_000),
      })
      .prefault({}),
    cooldown: z.strictObject({ transientSeconds: z.number().min(0).default(60) }).prefault({}),
    /** Stored Responses conversations (`previous_response_id`, `GET /v1/responses/{id}`). */
    responses: z.strictObject({ ttl: duration.default(86_400_000) }).prefault({}),
    /** Outbound proxy for every upstream call unless a provider or key says otherwise. */
    proxyUrl: proxyUrl.optional(),
    limits: z
      .strictObject({
        /** Largest accepted request body, in bytes. */
        bodyBytes: z.number().int().positive().default(20 * 1024 * 1024),
        /** TCP connect timeout to an upstream. */
        connectTimeout: duration.default(10_000),
        /** Longest wait for an upstream's response headers. */
        headersTimeout: duration.default(300_000),
        /** Longest silence between two chunks of an upstream body. */
        bodyTimeout: duration.default(300_000),
        /** Longest a client may take to send its whole request, headers and body (0 = no limit). */
        requestTimeout: duration.default(120_000),
        /**
         * A client socket silent this long is closed (0 = never). Above the upstream timeouts, and
         * as long as the SDKs' own default request timeout (10 min), so no legitimate wait hits it.
         */
        socketTimeout: duration.default(600_000),
      })
      .prefault({}),
    providers: z.array(provider).default([]),
    models: z
      .record(
        z.string().min(1),
        z.strictObject({
          primary: z.string().min(1),
          fallbacks: z.array(z.string().min(1)).default([]),
          /** This virtual model's request deadline, instead of `routing.timeout`. */
          timeout: duration.optional(),
        }),
      )
      .default({}),
    plugins: z
      .strictObject({
        enabled: z.boolean().default(true),
        dir: z.string().default('./plugins'),
        callTimeout: duration.default(2_000),
        executorTimeout: duration.default(600_000),
        /** First automatic restart delay of a fused plugin; doubles per consecutive fuse up to 30 min. */
        restartDelay: duration.default(30_000),
        items: z.record(z.string(), pluginItem).default({}),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.providers.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'name'], message: `duplicate provider name "${p.name}"` });
      seen.add(p.name);
    });
    if (config.apiKeys.length === 0 && !isLoopback(config.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKeys'],
        message: `an empty apiKeys list (no client auth) is only allowed on a loopback host, not ${config.host}`,
      });
    }
  });

/** The validated config with every default applied. Durations are milliseconds. */
export type Config = z.output<typeof configSchema>;
export type ProviderConfig = Config['providers'][number];
export type ApiKeyEntry = z.output<typeof apiKeyEntry>;
export type PluginItemConfig = z.output<typeof pluginItem>;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
