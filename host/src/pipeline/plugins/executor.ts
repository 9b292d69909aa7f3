/**
 * Executor plugins as upstreams: an attempt on an executor's provider calls the plugin instead
 * of an HTTP upstream. A thrown `{status}` fails like that upstream status (429 cools, 5xx fails
 * over); any other plugin failure (error, deadline, crash) counts as a transient upstream fault,
 * so the request fails over like it would from a dead upstream.
 *
 * @module
 */
import { ErrorCodes, type ExecutorRequest } from '@switchyard/plugin-sdk';
import type { PoolMember } from '../../core/conductor/pool.js';
import type { Runtime } from '../../core/runtime.js';
import type { SseEvent } from '../../formats/codec.js';
import type { FormatName } from '../../formats/ir.js';
import { UpstreamError } from '../../upstream/errors.js';

/** Calls the executor plugin of `member`'s provider; a stream comes back as SSE events of its format. */
export async function callExecutor(
  rt: Runtime,
  member: PoolMember,
  request: Omit<ExecutorRequest, 'model' | 'credential'>,
  signal: AbortSignal,
): Promise<{ kind: 'json'; body: unknown } | { kind: 'stream'; events: AsyncIterable<SseEvent> }> {
  const pluginId = member.providerRuntime.plugin!;
  const plugin = rt.plugins.get(pluginId);
  if (!plugin) throw new UpstreamError('network', `executor plugin ${pluginId} is not active`);
  const params = { ...request, model: member.model, credential: { id: member.id } };
  const options = { timeoutMs: rt.config.plugins.executorTimeout, signal };
  if (!request.stream) {
    try {
      return { kind: 'json', body: (await plugin.call('executor.execute', params, options)).body };
    } catch (err) {
      throw asUpstreamError(pluginId, err);
    }
  }
  const queue = new EventQueue<SseEvent>();
  const format = member.providerRuntime.type;
  plugin
    .call('executor.stream', params, { ...options, onChunk: (event) => queue.push(toSse(event, format)) })
    .then(
      () => queue.end(),
      (err: unknown) => queue.fail(asUpstreamError(pluginId, err)),
    );
  return { kind: 'stream', events: queue };
}

/** A plugin's event as the SSE event its format's decoder reads (Anthropic names events by type). */
function toSse(event: unknown, format: FormatName): SseEvent {
  const data = typeof event === 'string' ? event : JSON.stringify(event);
  const type = format === 'anthropic' ? (event as { type?: unknown })?.type : undefined;
  return typeof type === 'string' ? { event: type, data } : { data };
}

function asUpstreamError(pluginId: string, err: unknown): UpstreamError {
  const e = err as { code?: number; message?: string; data?: { status?: number; retryAfterMs?: number; message?: string } };
  if (e?.code === ErrorCodes.upstreamStatus && typeof e.data?.status === 'number') {
    return new UpstreamError('http', `${e.data.status} ${e.data.message ?? e.message ?? ''}`.trim(), e.data.status, e.data.retryAfterMs);
  }
  return new UpstreamError('network', `executor plugin ${pluginId}: ${e?.message ?? String(err)}`);
}

/** A push-fed async iterable: the plugin pushes chunks as they come, the translator pulls. */
class EventQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }
  end(): void {
    this.#done = true;
    this.#wake?.();
  }
  fail(err: unknown): void {
    this.#error = err;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#items.length > 0) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
