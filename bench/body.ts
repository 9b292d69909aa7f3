/** The fixed realistic request of the bench, in each client format it is sent in: a system prompt and a 2 KB user message. */
const paragraph =
  'Switchyard routes requests across providers, keys and models, translating between wire formats and keeping every credential healthy. ';
const SYSTEM = 'You are a careful assistant. Answer briefly and cite nothing you cannot verify.';

/** The 2 KB user message, made once. */
const USER = (() => {
  let user = '';
  while (user.length < 2048) user += paragraph;
  return user.slice(0, 2048);
})();

/** The request as a Chat Completions body. */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    stream,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: USER },
    ],
  });
}

/** The same request as a Responses API body (`instructions` and one user input). */
export function responsesBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, stream, instructions: SYSTEM, input: USER });
}

/** The same request as an Anthropic Messages body (`system`, one user message, `max_tokens`, which the API requires). */
export function anthropicBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, stream, max_tokens: 1024, system: SYSTEM, messages: [{ role: 'user', content: USER }] });
}
