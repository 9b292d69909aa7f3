/**
 * The {@link ConversationStore} of a worker process of `serve --workers` with the memory store:
 * stored Responses conversations are the primary's (one file store on `authDir/responses/`,
 * written by the primary alone), so a conversation stored by one worker continues on any other
 * at once, and one deleted on one worker is gone on all. Worker-side copies would answer a
 * response another worker deleted, and files written behind would race the client's next turn.
 *
 * @module
 */
import { gatewayError } from '../../../errors/registry.js';
import type { ConversationStore, StoredResponse } from '../conversations.js';
import type { PrimaryPeer, Reply, RequestBody } from './peer.js';

export class WorkersConversationStore implements ConversationStore {
  readonly #peer: PrimaryPeer;
  readonly #onError: (err: Error) => void;
  readonly #pending = new Set<Promise<void>>();

  /** @param onError - a put the primary could not take (the answer was served; only its continuation is lost) */
  constructor(peer: PrimaryPeer, onError: (err: Error) => void = () => {}) {
    this.#peer = peer;
    this.#onError = onError;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return (await this.#ask({ op: 'conversation-get', responseId: id })).stored;
  }

  put(entry: StoredResponse): void {
    // Sent now, before the answer reaches the client: the primary has it before the client's next turn can arrive.
    const done = this.#peer.request({ op: 'conversation-put', entry }).then(
      () => {},
      (err: unknown) => this.#onError(err instanceof Error ? err : new Error(String(err))),
    );
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#ask({ op: 'conversation-delete', responseId: id })).deleted ?? false;
  }

  /** Waits for the puts still on their way. */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Unknown is not the same as unreachable: a failed request answers 503, never "not found". */
  async #ask(body: RequestBody): Promise<Reply> {
    try {
      return await this.#peer.request(body);
    } catch (err) {
      throw gatewayError('unavailable', `stored responses unavailable: ${(err as Error).message}`);
    }
  }
}
