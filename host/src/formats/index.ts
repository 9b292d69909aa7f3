/**
 * The codec of each wire format.
 *
 * @module
 */
import { anthropicCodec } from './anthropic/index.js';
import type { FormatCodec } from './codec.js';
import { geminiCodec } from './gemini/index.js';
import type { FormatName } from './ir.js';
import { openaiCodec } from './openai/index.js';

export const CODECS: Readonly<Record<FormatName, FormatCodec>> = {
  openai: openaiCodec,
  anthropic: anthropicCodec,
  gemini: geminiCodec,
};
