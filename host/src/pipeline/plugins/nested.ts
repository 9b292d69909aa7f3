/**
 * `host.executeModel`: a plugin runs a nested request through the whole pipeline, as a client
 * of the given format would, except that its own router is skipped (so a router cannot loop on
 * itself). Errors come back as an answer with the error's status and body, like HTTP would.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ExecuteModelResult, executeModelParamsSchema } from '@switchyard/plugin-sdk';
import type { Runtime } from '../../core/runtime.js';
import { errorBody } from '../../errors/render.js';
import { toGatewayError } from '../../http/errors.js';
import { proxyChat } from '../proxy.js';

export async function executeNested(rt: Runtime, callerId: string, rawParams: unknown): Promise<ExecuteModelResult> {
  const params = executeModelParamsSchema.parse(rawParams);
  // OpenAI and Anthropic say "stream" in the body; Gemini in the method (the URL).
  const body = params.format === 'gemini' ? params.body : { ...params.body, stream: params.stream };
  try {
    const result = await proxyChat(rt, {
      requestId: randomUUID(),
      format: params.format,
      body,
      urlModel: params.model,
      urlStream: params.format === 'gemini' ? params.stream : undefined,
      headers: {},
      signal: new AbortController().signal,
      startedAt: performance.now(),
      skipRouter: callerId,
    });
    if (result.kind === 'json') return { status: result.status, headers: result.headers, body: result.rawJson ? JSON.parse(result.body as string) : result.body };
    const events: unknown[] = [];
    for await (const event of result.events) if (!event.raw) events.push(event.event ? { event: event.event, data: event.data } : event.data);
    return { status: 200, headers: result.headers, body: events };
  } catch (err) {
    const gerr = toGatewayError(err);
    return { status: gerr.status, headers: {}, body: errorBody(params.format, gerr.status, gerr.code, gerr.message) };
  }
}
