/**
 * The host's token estimate, for upstreams that cannot count (OpenAI-compatible APIs, executor
 * plugins): about four characters a token, OpenAI's rule of thumb for English text.
 *
 * @module
 */
import type { IRRequest } from '../formats/ir.js';

/** A character-based estimate of a request's input tokens. */
export function estimateTokens(request: IRRequest): number {
  let chars = request.system?.length ?? 0;
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'thinking') chars += part.text.length;
      else if (part.type === 'tool_call') chars += part.name.length + part.arguments.length;
      else if (part.type === 'tool_result') chars += part.content.length;
      // Images: upstreams bill by pixels; a flat cost keeps the estimate in range.
      else chars += 3000;
    }
  }
  for (const tool of request.tools ?? []) chars += JSON.stringify(tool).length;
  return Math.max(1, Math.ceil(chars / 4));
}
