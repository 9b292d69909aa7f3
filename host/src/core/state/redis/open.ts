/**
 * The stores of `state.store: redis`: credential state replicated through Redis, stored
 * conversations and refreshed tokens in it. A module of its own so that a host on the memory
 * store never loads the Redis client.
 *
 * @module
 */
import type { Config } from '../../../config/schema.js';
import { ReplicatedStateStore } from '../replica/replicated-store.js';
import type { StoreHealth } from '../types.js';
import { RedisBackend } from './backend.js';
import { connectRedis } from './connection.js';
import { RedisConversationStore } from './conversations.js';
import { RedisSharedTokens } from './tokens.js';

export interface OpenRedisOptions {
  /** How often the replica reconciles with Redis and sends its heartbeat. */
  reconcileMs: number;
  /** A reporter of failures to read or write, for `what` kind of state. */
  warn(what: string): (err: Error) => void;
  /** Redis went down or came back. */
  onStatus(health: StoreHealth): void;
}

/**
 * Connects to `state.url`. Rejects with `StateUrlError` for a URL that can never work; an
 * unreachable Redis opens degraded and catches up when it comes back.
 */
export async function openRedisStores(
  state: Config['state'],
  options: OpenRedisOptions,
): Promise<{ state: ReplicatedStateStore; conversations: RedisConversationStore; tokens: RedisSharedTokens }> {
  let backend: RedisBackend | undefined;
  let conversations: RedisConversationStore | undefined;
  const redis = await connectRedis(state.url!, {
    onUp: () => {
      backend?.linkUp();
      conversations?.linkUp();
    },
    onDown: (err) => backend?.linkDown(err),
  });
  backend = new RedisBackend(redis, { keyPrefix: state.keyPrefix, heartbeatMs: options.reconcileMs });
  conversations = new RedisConversationStore(redis, { keyPrefix: state.keyPrefix, onError: options.warn('stored response could not be read or saved') });
  const replicated = await ReplicatedStateStore.open({ backend, reconcileMs: options.reconcileMs, onStatus: options.onStatus });
  return { state: replicated, conversations, tokens: new RedisSharedTokens(redis, state.keyPrefix) };
}
