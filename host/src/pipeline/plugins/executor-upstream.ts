/**
 * Executor plugins as an {@link Upstream}: an attempt on an executor's provider calls the plugin
 * instead of an HTTP upstream. A thrown `{status}` fails like that upstream status (429 cools,
 * 5xx fails over); any other plugin failure (error, deadline, crash) counts as a transient
 * upstream fault, so the request fails over like it would from a dead upstream.
 *
 * @module
 */
import { ErrorCodes } from '@switchyard/plugin-sdk';
import { JsonBody } from '../../formats/json-body.js';
import type { SseEvent, WireFormat } from '../../formats/wire-format.js';
import { Channel } from '../../streams/flow.js';
import { UpstreamError } from '../../upstream/errors.js';
import type { Upstream, UpstreamAnswer, UpstreamCall } from '../../upstream/upstream.js';
import type { PluginDirectory } from './directory.js';

/**
 * Stream events a plugin may run ahead of its reader. The protocol pushes chunks, so there is no
 * back-pressure to apply: a plugin this far ahead (its reader stalled) has its call cancelled.
 */
const MAX_QUEUED_EVENTS = 10_000;

export class ExecutorUpstream implements Upstream {
  /** Plugins yield bare events: the client's encoder adds its format's framing and ending. */
  readonly framed = false;

  constructor(
    private readonly plugins: PluginDirectory,
    readonly pluginId: string,
    readonly format: WireFormat,
    private readonly timeoutMs: () => number,
  ) {}

  async generate(call: UpstreamCall, signal: AbortSignal): Promise<UpstreamAnswer> {
    const plugin = this.plugins.get(this.pluginId);
    if (!plugin) throw new UpstreamError('network', `executor plugin ${this.pluginId} is not active`);
    const params = {
      requestId: call.requestId,
      model: call.model,
      requestedModel: call.requestedModel,
      stream: call.stream,
      body: call.body.value,
      headers: call.headers,
      credential: { id: call.credentialId },
    };
    const options = { timeoutMs: this.timeoutMs(), signal, onHostRequest: call.hostRequest };
    if (!call.stream) {
      try {
        return { kind: 'json', body: JsonBody.fromValue((await plugin.call('executor.execute', params, options)).body) };
      } catch (err) {
        throw this.#asUpstreamError(err);
      }
    }
    // Chunks arrive one message each: a batch of one, held while the client is paused.
    const events = new Channel<SseEvent>({}, MAX_QUEUED_EVENTS);
    const { executorEvent } = this.format.upstream;
    const onChunk = (event: unknown) => {
      // Throwing cancels the plugin's call.
      if (events.closed) throw new Error('the stream was closed by its reader');
      events.push([executorEvent(event)]);
    };
    plugin.call('executor.stream', params, { ...options, onChunk }).then(
      () => events.end(),
      (err: unknown) => events.fail(this.#asUpstreamError(err)),
    );
    return { kind: 'stream', events };
  }

  /** Executors have no counting endpoint: the host estimates. */
  async countTokens(): Promise<undefined> {
    return undefined;
  }

  /** An executor's models come from its registration, not a listing. */
  async listModels(): Promise<undefined> {
    return undefined;
  }

  /** An executor holds no secret of the host's. */
  redact(text: string): string {
    return text;
  }

  #asUpstreamError(err: unknown): UpstreamError {
    const e = err as { code?: number; message?: string; data?: { status?: number; retryAfterMs?: number; message?: string } };
    if (e?.code === ErrorCodes.upstreamStatus && typeof e.data?.status === 'number') {
      return new UpstreamError('http', `${e.data.status} ${e.data.message ?? e.message ?? ''}`.trim(), e.data.status, e.data.retryAfterMs);
    }
    return new UpstreamError('network', `executor plugin ${this.pluginId}: ${e?.message ?? String(err)}`);
  }
}
