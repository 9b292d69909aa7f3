/**
 * Stored conversations, around the other stages for a format that continues answers by id
 * (Responses' `previous_response_id`): before decode, a request continuing a stored answer gets
 * that answer's history (its input, then its output) in front of its own input, whatever the
 * upstream; after respond, an answer the client asked to store is kept, owned by its client, for
 * `responses.ttl`. An id that is unknown, expired, deleted or another client's is a 400.
 *
 * @module
 */
import { gatewayError } from '../../errors/registry.js';
import { JsonBody } from '../../formats/json-body.js';
import type { ConversationDialect } from '../../formats/wire-format.js';
import { tap } from '../../streams/flow.js';
import type { PipelineInput, PipelineResult } from '../context.js';
import type { Runtime } from '../runtime.js';
import { asObject } from './decode.js';

/** The input with its stored history expanded; unchanged when it continues nothing. */
export async function expandConversation(rt: Runtime, input: PipelineInput, dialect: ConversationDialect): Promise<PipelineInput> {
  const body = asObject(input.body.value);
  const id = dialect.previousId(body);
  if (id === undefined) return input;
  const stored = await rt.conversations?.get(id);
  // Another client's answer is as absent as an unknown one: its existence is not revealed.
  if (!stored || stored.owner !== input.client) {
    throw gatewayError('previous_response_not_found', `Previous response with id '${id}' not found.`);
  }
  return { ...input, body: JsonBody.fromValue(dialect.expand(body, stored)) };
}

/** The result, arranging for its answer to be stored when the client asked for that. */
export function recordConversation(rt: Runtime, input: PipelineInput, dialect: ConversationDialect, result: PipelineResult): PipelineResult {
  const store = rt.conversations;
  const body = input.body.value as Record<string, unknown>;
  if (!store || !dialect.stores(body)) return result;
  const keep = (answer: unknown, response?: () => string) => {
    const of = dialect.answerOf(answer);
    if (!of) return;
    // The client's bytes (or a serialisation already made) hold the input: the store may write them instead of the input.
    const request = input.body.hasText ? () => input.body.text : undefined;
    const entry = { id: of.id, owner: input.client, expiresAt: Date.now() + rt.config.responses.ttl, input: dialect.inputOf(body), output: of.output, response: answer };
    store.put(entry, { response, request });
  };
  if (result.kind === 'json') {
    // Its text is made once, to serve it; the store writes that text instead of making its own.
    const answer = result.body;
    keep(answer.value, () => answer.text);
    return result;
  }
  return { ...result, events: tap(result.events, (event) => {
    const answer = dialect.finalAnswer(event);
    if (answer !== undefined) keep(answer);
  }) };
}
