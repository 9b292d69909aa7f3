/**
 * The one host path `bench/ab.ts` and `bench/profile.ts` ask, chosen by a flag: Chat Completions
 * in and out (default); `--anthropic`, an Anthropic Messages client to the OpenAI upstream;
 * `--responses`, a Responses client to it; `--responses-anthropic`, a Responses client to an
 * Anthropic upstream. `--stream` asks for streams.
 */
import { anthropicBody, chatBody, responsesBody } from './body.js';

/** What a host is asked: path, body and headers, and the providers it needs besides the mock's OpenAI one. */
export interface AskedPath {
  path: string;
  body: string;
  headers: Record<string, string>;
  providers?: unknown[];
}

/** The path the command line's flags ask for, against the mock at `mockUrl`. */
export function askedPath(argv: readonly string[], mockUrl: string): AskedPath {
  const stream = argv.includes('--stream');
  if (argv.includes('--anthropic')) return { path: '/v1/messages', body: anthropicBody('gpt-4.1', stream), headers: { 'anthropic-version': '2023-06-01' } };
  if (argv.includes('--responses')) return { path: '/v1/responses', body: responsesBody('gpt-4.1', stream), headers: {} };
  if (argv.includes('--responses-anthropic')) {
    const providers = [
      { name: 'openai', type: 'openai', baseUrl: `${mockUrl}/openai/v1`, apiKeys: ['bench-upstream'], models: ['gpt-4.1'] },
      { name: 'anthropic', type: 'anthropic', baseUrl: `${mockUrl}/anthropic/v1`, apiKeys: ['bench-upstream-anthropic'], models: ['claude-sonnet-4-6'] },
    ];
    return { path: '/v1/responses', body: responsesBody('claude-sonnet-4-6', stream), headers: {}, providers };
  }
  return { path: '/v1/chat/completions', body: chatBody('gpt-4.1', stream), headers: {} };
}
