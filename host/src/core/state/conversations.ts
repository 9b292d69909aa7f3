/**
 * Stored Responses conversations (`previous_response_id`, `GET`/`DELETE /v1/responses/{id}`):
 * each response the host served with `store` not false, with the input it answered (its own
 * history expanded) and its output, owned by the client that made it, kept for `responses.ttl`.
 * What every store keeps and promises; the default one is `file-conversations.ts`, the shared
 * ones `redis/conversations.ts` and, for the workers of `serve --workers`, `workers/conversations.ts`.
 *
 * @module
 */
import { z } from 'zod';
import { RESPONSE_ID } from './response-log.js';

/** One stored response. */
export interface StoredResponse {
  /** The response id (`resp_...`). */
  id: string;
  /** The client that made it: only that client may read, continue or delete it. */
  owner: string;
  /** Epoch ms after which it is gone. */
  expiresAt: number;
  /** The input items it answered, its own history expanded, in the Responses item format. */
  input: unknown[];
  /** Its output items. */
  output: unknown[];
  /** The Response object as it was served. */
  response: unknown;
}

/**
 * JSON texts a store may write, by the end of the turn of the put, instead of serialising a
 * response's parts again: text the host already has, as it was sent or received.
 */
export interface StoredTexts {
  /** The text of `entry.response`, the answer as it was served. */
  response?: () => string;
  /**
   * The JSON text of the request `entry.input` was read from, as the store's `inputOf` reads it:
   * the client's bytes for a request that continued nothing; for one whose history was
   * expanded, only a serialisation already made for its upstream.
   */
  request?: () => string;
}

export interface ConversationStore {
  /** The response with `id`, unless unknown, expired or deleted. */
  get(id: string): Promise<StoredResponse | undefined>;
  /** Keeps a response; persisting happens in the background, from `texts` where they serve. */
  put(entry: StoredResponse, texts?: StoredTexts): void;
  /** Forgets a response; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** What a stored response must look like when read back from a file or a shared store. */
export const storedSchema = z.object({
  id: z.string(),
  owner: z.string(),
  expiresAt: z.number(),
  input: z.array(z.unknown()),
  output: z.array(z.unknown()),
  response: z.unknown(),
});

const SAFE_ID = new RegExp(`^${RESPONSE_ID}$`);

/** Whether `id` can be a stored response's id (see {@link RESPONSE_ID}); any other is unknown to every store. */
export function isResponseId(id: string): boolean {
  return SAFE_ID.test(id);
}
