/** The fixed realistic request of the bench: a system prompt and a 2 KB user message. */
const paragraph =
  'Switchyard routes requests across providers, keys and models, translating between wire formats and keeping every credential healthy. ';

export function chatBody(model: string, stream: boolean): string {
  let user = '';
  while (user.length < 2048) user += paragraph;
  return JSON.stringify({
    model,
    stream,
    messages: [
      { role: 'system', content: 'You are a careful assistant. Answer briefly and cite nothing you cannot verify.' },
      { role: 'user', content: user.slice(0, 2048) },
    ],
  });
}

/** The same request as a Responses API body (`instructions` and one user input). */
export function responsesBody(model: string, stream: boolean): string {
  const chat = JSON.parse(chatBody(model, stream)) as { messages: { content: string }[] };
  return JSON.stringify({ model, stream, instructions: chat.messages[0]!.content, input: chat.messages[1]!.content });
}
