/**
 * The request and response interceptor capabilities. Request interceptors chain in priority
 * order, each seeing what the one before left: headers merge (a null value deletes), a body
 * replaces, a reject ends the request with the plugin's reply. A throwing interceptor is
 * skipped, unless its config says `failClosed`: then the request fails with 503. Response
 * interceptors work the same way on successful answers; their failures are always skipped.
 * Stream interceptors are in `intercept-stream.ts`.
 *
 * @module
 */
import type { InterceptorPhase, RequestInterceptParams } from '@switchyard/plugin-sdk';
import { InterceptedReply, gatewayError } from '../../errors/registry.js';
import type { FormatName } from '../../formats/ir.js';
import type { PluginDirectory } from './directory.js';
import { describeChanges } from './changes.js';
import { type CallScope, dispatch } from './dispatch.js';

export interface Intercepted {
  headers: Record<string, string>;
  body: unknown;
  /** True when some interceptor replaced the body. */
  bodyChanged: boolean;
}

/** Runs the request interceptors of `phase` over headers and body. Throws InterceptedReply or 503. */
export async function interceptRequest(
  plugins: PluginDirectory,
  phase: InterceptorPhase,
  request: Omit<RequestInterceptParams, 'phase'>,
  scope: CallScope,
): Promise<Intercepted> {
  if (phase === 'beforeAuth') {
    const down = plugins.failClosedDown();
    if (down.length > 0) throw gatewayError('unavailable', `fail-closed plugin${down.length > 1 ? 's' : ''} ${down.join(', ')} cannot run; requests are refused until ${down.length > 1 ? 'they recover' : 'it recovers'}`);
  }
  const out: Intercepted = { headers: request.headers, body: request.body, bodyChanged: false };
  const interceptors = plugins.active('requestInterceptor').filter((p) => p.interceptorPhase === phase);
  await dispatch(interceptors, scope, {
    stage: phase,
    call: (plugin, opts) => plugin.call('request.intercept', { ...request, phase, headers: out.headers, body: out.body }, opts),
    describe: (_plugin, answer) => {
      if (answer === null) return 'passed';
      if ('reject' in answer) return `rejected: ${answer.reject.status}`;
      return describeChanges(answer.headers, out.body, answer.body, answer.body !== undefined);
    },
    answer(plugin, answer) {
      if (answer === null) return undefined;
      if ('reject' in answer) throw new InterceptedReply(plugin.id, answer.reject);
      if (answer.headers) out.headers = mergeHeaders(out.headers, answer.headers);
      if (answer.body !== undefined) {
        out.body = answer.body;
        out.bodyChanged = true;
      }
      return undefined;
    },
    failed(plugin, err) {
      if (plugin.failClosed) throw gatewayError('unavailable', `interceptor ${plugin.id} failed and is fail-closed: ${(err as Error).message}`);
    },
  });
  return out;
}

/** Runs the response interceptors over a successful non-stream answer; a failing one leaves the answer as it was. */
export async function interceptResponse(
  plugins: PluginDirectory,
  response: { requestId: string; sourceFormat: FormatName; model: string; provider: string; status: number; headers: Record<string, string>; body: unknown },
  scope: CallScope,
): Promise<{ headers: Record<string, string>; body: unknown }> {
  let { headers, body } = response;
  await dispatch(plugins.active('responseInterceptor'), scope, {
    stage: 'response',
    call: (plugin, opts) => plugin.call('response.intercept', { ...response, headers, body }, opts),
    describe: (_plugin, answer) => (answer === null ? 'passed' : describeChanges(answer.headers, body, answer.body, answer.body !== undefined)),
    answer(_plugin, answer) {
      if (answer === null) return undefined;
      if (answer.headers) headers = mergeHeaders(headers, answer.headers);
      if (answer.body !== undefined) body = answer.body;
      return undefined;
    },
  });
  return { headers, body };
}

/** `base` with `changes` applied: a string sets a header, null deletes it. Names are lower-cased. */
export function mergeHeaders(base: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const out = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    const key = name.toLowerCase();
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}
