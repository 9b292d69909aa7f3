/**
 * Every wire format the host speaks, by name: the one registration a new format needs.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { anthropicFormat } from './anthropic/index.js';
import { geminiFormat } from './gemini/index.js';
import type { FormatName } from './ir.js';
import { openaiFormat } from './openai/index.js';
import { openaiResponsesFormat } from './openai-responses/index.js';
import type { WireFormat } from './wire-format.js';

export const FORMATS: Readonly<Record<FormatName, WireFormat>> = {
  openai: openaiFormat,
  anthropic: anthropicFormat,
  gemini: geminiFormat,
  'openai-responses': openaiResponsesFormat,
};

/** Formats by URL prefix, longest first, for requests no route claimed. */
const BY_PREFIX = Object.values(FORMATS)
  .flatMap((format) => format.urlPrefixes.map((prefix) => ({ prefix, format })))
  .sort((a, b) => b.prefix.length - a.prefix.length);

/** The format whose errors an unrouted URL gets (a 404, a malformed URL). */
export function formatOfUrl(url: string): WireFormat {
  return BY_PREFIX.find((p) => url.startsWith(p.prefix))?.format ?? FORMATS.openai;
}

/** The format answering a model listing at `url`: one that claims the request, else the one that does not ask. */
export function listingFormat(url: string, headers: IncomingHttpHeaders): WireFormat | undefined {
  const candidates = Object.values(FORMATS).filter((f) => f.listing?.url === url);
  return candidates.find((f) => f.listing!.claims?.(headers)) ?? candidates.find((f) => !f.listing!.claims);
}
