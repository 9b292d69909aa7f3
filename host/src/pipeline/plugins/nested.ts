/**
 * `host.executeModel`: a plugin runs a nested request through the whole pipeline, as a client
 * of the given format would, except that its own router is skipped (so a router cannot loop on
 * itself). It runs inside its caller's request: aborted with it, and logged with its own id and
 * access line naming the parent. Errors come back as an answer with the error's status and
 * body, like HTTP would.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ExecuteModelResult, executeModelParamsSchema } from '@switchyard/plugin-sdk';
import { asGatewayError } from '../../errors/registry.js';
import { errorAnswer } from '../../formats/error-answer.js';
import { FORMATS } from '../../formats/index.js';
import { JsonBody } from '../../formats/json-body.js';
import { collect } from '../../streams/flow.js';
import type { PipelineInput, PipelineResult } from '../context.js';
import type { Runtime } from '../runtime.js';

/** The endpoint nested calls are counted and logged under. */
export const NESTED_ENDPOINT = 'host.executeModel';

/** The request a nested call runs inside. */
export interface NestedCaller {
  /** The plugin making the call: its router is skipped. */
  callerId: string;
  parentRequestId?: string;
  /** The parent's client; a call outside any request is the plugin's own (`plugin:<id>`). */
  client?: string;
  /** The parent's signal: the nested call ends when its caller's request does. */
  signal?: AbortSignal;
}

export async function executeNested(
  rt: Runtime,
  serve: (rt: Runtime, input: PipelineInput) => Promise<PipelineResult>,
  caller: NestedCaller,
  rawParams: unknown,
): Promise<ExecuteModelResult> {
  const params = executeModelParamsSchema.parse(rawParams);
  const format = FORMATS[params.format];
  // Most formats say "stream" in the body; those with the model in the URL say it there.
  const body = format.modelInUrl ? params.body : { ...params.body, stream: params.stream };
  const requestId = randomUUID();
  const startedAt = performance.now();
  let status = 0;
  let served: Record<string, string> | undefined;
  try {
    const result = await serve(rt, {
      requestId,
      parentRequestId: caller.parentRequestId,
      client: caller.client ?? `plugin:${caller.callerId}`,
      format,
      operation: 'generate',
      body: JsonBody.fromValue(body),
      urlModel: params.model,
      urlStream: format.modelInUrl ? params.stream : undefined,
      headers: {},
      signal: caller.signal ?? new AbortController().signal,
      startedAt,
      skipRouter: caller.callerId,
    });
    served = result.headers;
    if (result.kind === 'json') {
      status = result.status;
      return { status, headers: result.headers, body: result.body.value };
    }
    const events: unknown[] = [];
    for (const event of await collect(result.events)) if (!event.raw) events.push(event.event ? { event: event.event, data: event.data } : event.data);
    status = 200;
    return { status, headers: result.headers, body: events };
  } catch (err) {
    const answer = errorAnswer(format, asGatewayError(err));
    status = answer.status;
    return { status, headers: {}, body: answer.body.value };
  } finally {
    const aborted = caller.signal?.aborted === true;
    rt.observer?.request(NESTED_ENDPOINT, served?.['x-switchyard-provider'] ?? '', served?.['x-switchyard-model'] ?? '', status);
    rt.accessLog?.(
      {
        requestId,
        parentRequestId: caller.parentRequestId,
        client: caller.client ?? `plugin:${caller.callerId}`,
        endpoint: NESTED_ENDPOINT,
        method: 'POST',
        model: params.model ?? (typeof params.body.model === 'string' ? params.body.model : undefined),
        provider: served?.['x-switchyard-provider'],
        upstreamModel: served?.['x-switchyard-model'],
        credential: served?.['x-switchyard-credential'],
        attempts: served ? Number(served['x-switchyard-attempts']) : undefined,
        router: served?.['x-switchyard-router'],
        status,
        durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
        stream: params.stream,
        aborted: aborted ? true : undefined,
      },
      'request',
    );
  }
}
