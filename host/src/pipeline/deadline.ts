/**
 * A request's deadline: the earliest of what the client says it will wait
 * (`x-switchyard-timeout-ms`, the OpenAI/Anthropic SDKs' `X-Stainless-Timeout` in seconds, a
 * `grpc-timeout`-style value) and `routing.timeout`. Retries and fallbacks are planned inside it.
 * A value that is not a positive duration is ignored.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';

const GRPC_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** How long the client will wait, from its headers, in ms; undefined when it does not say. */
export function clientTimeoutMs(headers: IncomingHttpHeaders): number | undefined {
  let ms = Infinity;
  const own = Number(one(headers['x-switchyard-timeout-ms']));
  if (Number.isFinite(own) && own > 0) ms = Math.min(ms, own);
  const stainless = Number(one(headers['x-stainless-timeout']));
  if (Number.isFinite(stainless) && stainless > 0) ms = Math.min(ms, stainless * 1000);
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(one(headers['grpc-timeout']) ?? '');
  if (grpc) ms = Math.min(ms, Number(grpc[1]) * GRPC_UNIT_MS[grpc[2]!]!);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
