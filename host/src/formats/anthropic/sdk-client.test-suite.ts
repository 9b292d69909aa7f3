/**
 * Test helper shared by the Anthropic codec tests: an official SDK client whose requests never
 * leave the process.
 *
 * @module
 */
import Anthropic from '@anthropic-ai/sdk';

/** An SDK client whose fetch records the request body and answers with `respond`. */
export function sdkClient(respond: (body: unknown) => Response): { client: Anthropic; sent: unknown[] } {
  const sent: unknown[] = [];
  const client = new Anthropic({
    apiKey: 'test',
    maxRetries: 0,
    fetch: async (_url, init) => {
      const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
      sent.push(body);
      return respond(body);
    },
  });
  return { client, sent };
}
