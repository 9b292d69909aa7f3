/**
 * `GET /v0/management/usage?from&to&groupBy`: requests, tokens and errors per minute, summed
 * over every host sharing the state store, grouped by client key name, model, provider or
 * credential. The range defaults to the last hour; minutes are kept for two days.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { gatewayError } from '../errors/registry.js';
import { groupUsage } from '../core/state/usage.js';
import { instant, parseInput } from './management-query.js';

const HOUR_MS = 3_600_000;

const querySchema = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  groupBy: z.enum(['client', 'model', 'provider', 'credential']).default('client'),
});

const iso = (ms: number) => new Date(ms).toISOString();

export function registerUsageRoute(scope: FastifyInstance): void {
  scope.get('/usage', async (request) => {
    const { from: asked, to: until, groupBy } = parseInput(querySchema, request.query, 'query');
    const to = until ?? Date.now();
    const from = asked ?? to - HOUR_MS;
    if (from > to) throw gatewayError('invalid_body', 'query from: must not be after to');
    const rows = await request.runtime!.conductor.shared.store.usage(from - (from % 60_000), to);
    const groups = groupUsage(rows, groupBy).map((g) => ({ ...g, buckets: g.buckets.map((b) => ({ ...b, minute: iso(b.minute) })) }));
    return { from: iso(from), to: iso(to), groupBy, groups };
  });
}
