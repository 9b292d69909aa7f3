/**
 * What a `stream.interceptBatch` answer (protocol 1.2) must fit beyond its schema, which cannot
 * see the events that were sent: one entry per event.
 *
 * @module
 */
import { batchSize, ErrorCodes, type StreamInterceptBatchParams, type StreamInterceptBatchResult } from '@switchyard/plugin-sdk';
import { PluginCallError } from '@switchyard/plugin-sdk/transport';

/**
 * How many events of a batch the plugin's handler failed on (`{error}` entries). Throws an
 * `invalid` {@link PluginCallError} when the answer does not hold one entry per event.
 */
export function batchFailures(batch: Pick<StreamInterceptBatchParams, 'events' | 'packed'>, answers: StreamInterceptBatchResult): number {
  const events = batchSize(batch);
  if (answers.length !== events) {
    throw new PluginCallError('invalid', ErrorCodes.invalidResult, `invalid stream.interceptBatch result: ${answers.length} answers for ${events} events`);
  }
  return answers.filter((answer) => answer !== null && 'error' in answer).length;
}
