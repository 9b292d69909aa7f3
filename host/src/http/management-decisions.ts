/**
 * Why requests go where they go. `GET /v0/management/requests` and `.../requests/{id}`: the
 * decision traces of recent requests, newest first, one call per page (filters: model,
 * provider, credential, client, status, since; `cursor` from the previous page; `limit` 1 to
 * 500, default 50). `POST /v0/management/explain`: where a request would go now, unsent.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { gatewayError } from '../errors/registry.js';
import { FORMATS } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { explain } from '../pipeline/explain.js';
import type { TraceRing } from '../pipeline/trace/ring.js';
import { instant, parseInput } from './management-query.js';

const querySchema = z.strictObject({
  model: z.string().optional(),
  provider: z.string().optional(),
  credential: z.string().optional(),
  client: z.string().optional(),
  status: z.coerce.number().int().min(0).max(999).optional(),
  since: instant.optional(),
  cursor: z.string().regex(/^\d+$/, 'expected the nextCursor of a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const explainSchema = z.strictObject({
  format: z.enum(Object.keys(FORMATS) as [FormatName, ...FormatName[]]),
  body: z.record(z.string(), z.unknown()),
  headers: z.record(z.string(), z.string()).optional(),
  /** Gemini names the model in its URL, not its body. */
  model: z.string().min(1).optional(),
});

export function registerDecisionRoutes(scope: FastifyInstance, traces: TraceRing): void {
  scope.post('/explain', async (request) => {
    const { format, body, headers, model } = parseInput(explainSchema, request.body, 'body');
    const lower = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return explain(request.runtime!, { format: FORMATS[format], body, headers: lower, model, client: 'explain' });
  });

  scope.get('/requests', async (request) => {
    const { cursor, limit, ...filter } = parseInput(querySchema, request.query, 'query');
    return traces.page(filter, limit, cursor);
  });

  scope.get<{ Params: { id: string } }>('/requests/:id', async (request) => {
    const trace = traces.get(request.params.id);
    if (!trace) throw gatewayError('not_found', `No recent request '${request.params.id}' (the last ${traces.size} are kept)`);
    return trace;
  });
}
