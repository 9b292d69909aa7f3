/**
 * Opens the state store and the conversation store the config asks for: in memory (persisted
 * to `authDir`), replicated through Redis (`state.store: redis`), or replicated through the
 * primary process of `serve --workers` (memory store, several workers: the caller passes that
 * backend and conversation store in, since they live above this layer).
 *
 * @module
 */
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { responsesConversation } from '../../formats/openai-responses/conversation.js';
import type { ConversationStore } from './conversations.js';
import { FileConversationStore } from './file-conversations.js';
import { MemoryStateStore } from './memory-store.js';
import type { StateBackend } from './replica/backend.js';
import { ReplicatedStateStore } from './replica/replicated-store.js';
import type { SharedTokens } from '../auth/shared-tokens.js';
import { FileSharedTokens } from '../auth/file-tokens.js';
import type { StateStore, StoreHealth } from './types.js';

/** How often replicas reconcile with the shared state and send heartbeats. */
const RECONCILE_MS = 1000;

export interface OpenedStores {
  state: StateStore;
  conversations: ConversationStore;
  /** Refreshed tokens shared by the hosts on one Redis, or by the processes sharing authDir. */
  tokens: SharedTokens;
}

export interface OpenStoresOptions {
  /** The backend of a worker process of `serve --workers` using the memory store. */
  workersBackend?: StateBackend;
  /** That worker's conversation store, held by the primary. */
  workersConversations?: ConversationStore;
  /** A failure to read or write state; the stores carry on. */
  warn(reason: string, msg: string): void;
  /** The shared store went down or came back. */
  onStatus(health: StoreHealth): void;
}

/**
 * Rejects with `StateUrlError` for a `state.url` that can never work (malformed, refused
 * password); an unreachable Redis opens degraded and catches up when it comes back.
 */
export async function openStores(config: Pick<Config, 'authDir' | 'state'>, options: OpenStoresOptions): Promise<OpenedStores> {
  const warn = (what: string) => (err: Error) => options.warn(err.message, what);
  if (config.state.store === 'redis') {
    // Loaded only here: the Redis client costs a host ~24 MB of memory it would hold for nothing.
    const { openRedisStores } = await import('./redis/open.js');
    return openRedisStores(config.state, { reconcileMs: RECONCILE_MS, warn, onStatus: options.onStatus });
  }
  const conversations =
    options.workersConversations ??
    (await FileConversationStore.open({
      dir: join(config.authDir, 'responses'),
      inputOf: responsesConversation.inputOf,
      onError: warn('stored response could not be read or saved'),
    }));
  // The workers of one machine share authDir: refreshes are coordinated through it.
  const tokens = new FileSharedTokens(config.authDir);
  if (options.workersBackend) {
    const state = await ReplicatedStateStore.open({ backend: options.workersBackend, reconcileMs: RECONCILE_MS, onStatus: options.onStatus });
    return { state, conversations, tokens };
  }
  const state = await MemoryStateStore.open({
    dir: config.authDir,
    // Counters change on every request: one write a second is plenty, and a crash loses at most that.
    flushDelayMs: 1000,
    onError: warn('credential state could not be restored or saved'),
  });
  return { state, conversations, tokens };
}
