/**
 * One config's worth of runtime state, built once when a config applies and swapped
 * atomically on reload. A request holds the snapshot it started with to its end. Cooldowns,
 * counters and in-flight counts live in the shared state, which outlives snapshots.
 *
 * @module
 */
import { type KeySet, keySet } from '../auth/keys.js';
import type { FileCredentialSource } from '../core/auth/file-credentials.js';
import type { CredentialFiles } from '../core/auth/files.js';
import type { Refresher } from '../core/auth/refresher.js';
import type { Config } from '../config/schema.js';
import { Catalog, type ExecutorSpec } from '../core/catalog.js';
import type { UpstreamSpec } from '../core/provider.js';
import { Conductor } from '../core/conductor/conductor.js';
import type { ConductorShared } from '../core/conductor/shared.js';
import type { ConversationStore } from '../core/state/conversations.js';
import { FORMATS } from '../formats/index.js';
import type { Dispatchers } from '../upstream/dispatchers.js';
import { HttpUpstream } from '../upstream/http.js';
import type { Upstream } from '../upstream/upstream.js';
import type { AccessLog, PipelineObserver } from './observer.js';
import type { PluginDirectory } from './plugins/directory.js';
import { NO_PLUGINS } from './plugins/directory.js';
import { ExecutorUpstream } from './plugins/executor-upstream.js';
import { schedulerHook } from './plugins/scheduler.js';
import { BodyRecorder } from './trace/bodies.js';

export interface Runtime {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly conductor: Conductor;
  /** Client API keys, hashed for constant-time comparison. */
  readonly clientKeys: KeySet;
  /** The management key; undefined when management is off. */
  readonly managementKeys: KeySet | undefined;
  /** The live plugin directory: fused plugins leave its lists at once, without a rebuild. */
  readonly plugins: PluginDirectory;
  /** Told of upstream calls and served requests (the gateway's metrics). */
  readonly observer?: PipelineObserver;
  /** Where nested calls write their access lines (the HTTP layer writes the others). */
  readonly accessLog?: AccessLog;
  /** Stored conversations (Responses' `previous_response_id`). */
  readonly conversations?: ConversationStore;
  /** What `logging.bodies` keeps of request and answer bodies in traces. */
  readonly bodies: BodyRecorder;
}

/** What a runtime is built from besides its config; all of it outlives one config. */
export interface RuntimeDeps {
  /** Connection pools: the direct one and one per outbound proxy. */
  dispatchers: Dispatchers;
  shared: ConductorShared;
  plugins?: PluginDirectory;
  observer?: PipelineObserver;
  accessLog?: AccessLog;
  conversations?: ConversationStore;
  /** Credential files and the refresher of their tokens (both outlive one config). */
  credentials?: { files: CredentialFiles; refresher: Refresher };
}

/**
 * Builds a runtime for `config` and the executor plugins active now (a change of that set
 * builds a new runtime, like a config change does).
 */
export function buildRuntime(config: Config, deps: RuntimeDeps): Runtime {
  const { dispatchers, shared, plugins = NO_PLUGINS } = deps;
  const executors: ExecutorSpec[] = plugins
    .active('executor')
    .flatMap((p) => (p.executor ? [{ pluginId: p.id, provider: p.executor.provider, format: p.executor.format, models: p.executor.models }] : []));
  const upstreamFor = (spec: UpstreamSpec): Upstream =>
    spec.kind === 'http'
      ? new HttpUpstream(FORMATS[spec.type], dispatchers.get(spec.proxyUrl), spec)
      : new ExecutorUpstream(plugins, spec.pluginId, FORMATS[spec.format], () => config.plugins.executorTimeout);
  const { credentials } = deps;
  let files: FileCredentialSource | undefined;
  if (credentials) {
    const found = credentials.files.scan(config.providers.flatMap((p) => p.credentials));
    credentials.refresher.retain(new Set(found.map((f) => f.path)));
    files = { files: found, source: (file, id, key) => credentials.refresher.source(file, id, key) };
  }
  const catalog = new Catalog(config, executors, { upstreamFor, store: shared.store, files });
  const keys = new Set<string>();
  for (const provider of catalog.providers.values()) for (const c of provider.credentials) keys.add(c.key);
  shared.store.retain(keys);
  return {
    config,
    catalog,
    conductor: new Conductor(config, shared, schedulerHook(plugins)),
    clientKeys: keySet(config.apiKeys),
    managementKeys: config.managementKey ? keySet([config.managementKey]) : undefined,
    plugins,
    observer: deps.observer,
    accessLog: deps.accessLog,
    conversations: deps.conversations,
    bodies: new BodyRecorder(config),
  };
}
