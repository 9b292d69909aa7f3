/**
 * The management API (`/v0/management/*`, CONTRACT section 4): credentials with their
 * cooldowns and counters, the registry view, resets and reload. Answers 404 when no
 * `managementKey` is set; the key is checked in constant time, and an address that keeps
 * failing it is throttled (429). Never shows a secret.
 *
 * @module
 */
import type { TraceRing } from '../pipeline/trace/ring.js';
import { registerDecisionRoutes } from './management-decisions.js';
import { registerEventStream } from './management-events.js';
import { registerUsageRoute } from './management-usage.js';
import { type ConfigAccess, registerConfigRoutes } from './management-config.js';
import { type CredentialFileAccess, registerCredentialFileRoutes } from './management-credential-files.js';
import type { EventHub } from '../pipeline/events.js';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../config/load.js';
import type { Runtime } from '../pipeline/runtime.js';
import { isCooling } from '../core/conductor/cooldown.js';
import { gatewayError } from '../errors/registry.js';
import type { PluginHost } from '../plugins/plugin-host.js';
import { AuthThrottle } from './throttle.js';

export interface ManagementOptions {
  runtime: () => Runtime;
  /** The plugin host, for the plugins view and resets. */
  plugins: Pick<PluginHost, 'list' | 'reset'>;
  /** Re-reads the config file and the plugins dir. */
  reload: () => Promise<void>;
  /** Recent requests' decision traces. */
  traces: TraceRing;
  /** Live events, for `GET /events` (and the resets made here). */
  events: EventHub;
  /** The config view and its validation. */
  config: ConfigAccess;
  /** Credential files and their refresher. */
  credentialFiles?: CredentialFileAccess;
}

interface ModelStatus {
  status: 'active' | 'cooling' | 'disabled';
  reason?: string;
  nextRetryAt?: string;
}

/** One credential as management shows it. */
export function credentialView(rt: Runtime, providerName: string, index: number, now = Date.now()) {
  const provider = rt.catalog.providers.get(providerName)!;
  const credential = provider.credentials[index]!;
  const { store } = rt.conductor.shared;
  const models: Record<string, ModelStatus> = {};
  for (const model of rt.catalog.modelsOf(credential.id)) models[model] = { status: 'active' };
  let cooling = false;
  for (const [model, state] of store.modelStates(credential.key)) {
    if (!isCooling(state, now)) continue;
    cooling = true;
    // A model with no quota at all on this credential is disabled there, not merely cooling.
    models[model] = { status: state.reason === 'disabled' ? 'disabled' : 'cooling', reason: state.message ? `${state.reason}: ${state.message}` : state.reason, nextRetryAt: new Date(state.until).toISOString() };
  }
  const counters = store.counters(credential.key);
  const lastError = rt.conductor.shared.lastErrors?.get(credential.key);
  const headroom = rt.conductor.shared.headroom?.view(credential.key);
  // A token that expired and could not be refreshed: the refresher's error says why.
  const unavailable = credential.upstream.unavailable?.(now);
  return {
    id: credential.id,
    provider: provider.name,
    label: credential.label,
    priority: credential.priority,
    status: unavailable ? 'unavailable' : cooling ? 'cooling' : 'active',
    ...(unavailable && { reason: unavailable }),
    models,
    successes: counters.successes,
    failures: counters.failures,
    inFlight: store.inFlight(credential.key),
    ...(headroom && { headroom }),
    ...(lastError && {
      lastError: lastError.status === undefined ? lastError.message : `${lastError.status}: ${lastError.message}`,
      lastErrorAt: new Date(lastError.at).toISOString(),
    }),
  };
}

export function registerManagement(app: FastifyInstance, options: ManagementOptions): void {
  app.register(
    async (scope) => {
      // One per server, so a config reload does not forgive the addresses it blocked.
      const throttle = new AuthThrottle();
      scope.addHook('onRequest', async (request) => {
        // Read once: the request is authorised and answered by the same config.
        request.runtime = options.runtime();
        const keys = request.runtime.managementKeys;
        if (!keys) throw gatewayError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`);
        const blockedMs = throttle.blockedFor(request.ip);
        if (blockedMs > 0) {
          const seconds = Math.ceil(blockedMs / 1000);
          throw gatewayError('auth_throttled', `Too many failed management key attempts from this address; retry in ${seconds}s`, {
            headers: { 'retry-after': String(seconds) },
          });
        }
        const auth = request.headers.authorization;
        const presented = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() : undefined;
        if (!presented || keys.match(presented) === undefined) {
          throttle.failed(request.ip);
          request.log.warn({ requestId: request.id, client: request.ip }, 'management authentication failed');
          throw gatewayError('unauthorized', presented ? 'Invalid management key' : 'Missing management key: send Authorization: Bearer <managementKey>');
        }
        throttle.succeeded(request.ip);
      });

      scope.get('/credentials', async (request) => {
        const rt = request.runtime!;
        const now = Date.now();
        return [...rt.catalog.providers.values()].flatMap((p) => p.credentials.map((_, i) => credentialView(rt, p.name, i, now)));
      });

      scope.post<{ Params: { id: string } }>('/credentials/:id/reset', async (request) => {
        const rt = request.runtime!;
        const credential = rt.catalog.credential(request.params.id);
        if (!credential) throw gatewayError('not_found', `No credential '${request.params.id}'`);
        rt.conductor.shared.store.clearCredential(credential.key);
        options.events.emit({ type: 'credential', data: { id: credential.id, provider: credential.provider, status: 'active', change: 'reset' } });
        return credentialView(rt, credential.provider, credential.index);
      });

      scope.get('/models', async (request) => request.runtime!.catalog.registry.view());

      registerDecisionRoutes(scope, options.traces);
      registerEventStream(scope, options.events);
      registerUsageRoute(scope);
      registerConfigRoutes(scope, options.config);
      if (options.credentialFiles) registerCredentialFileRoutes(scope, options.credentialFiles);

      scope.get('/plugins', async () => options.plugins.list());

      scope.post<{ Params: { id: string } }>('/plugins/:id/reset', async (request) => {
        const snapshot = await options.plugins.reset(request.params.id);
        if (!snapshot) throw gatewayError('not_found', `No plugin '${request.params.id}'`);
        options.events.emit({ type: 'plugin', data: { id: snapshot.id, state: snapshot.state, change: 'reset' } });
        return snapshot;
      });

      scope.post('/reload', async () => {
        try {
          await options.reload();
        } catch (err) {
          if (err instanceof ConfigError) throw gatewayError('invalid_config', `config not applied, the running config stays: ${err.message}`);
          throw err;
        }
        return { status: 'reloaded' };
      });
    },
    { prefix: '/v0/management' },
  );
}
