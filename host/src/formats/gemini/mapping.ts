/**
 * Gemini <-> IR mappings shared by requests, responses and streams: parts, function responses,
 * finish reasons and usage.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IRImageSource, IRPart, IRStopReason, IRUsage } from '../ir.js';
import type { WirePart, WireUsage } from './schema.js';

type WireObject = Record<string, unknown>;

/** A response id for upstream answers that carry no `responseId`. */
export function newResponseId(): string {
  return `resp_${randomUUID().replace(/-/g, '')}`;
}

/** Keys whose single string value a function response is unwrapped to (see {@link decodeFunctionResponse}). */
const WRAPPER_KEYS = new Set(['result', 'output', 'error']);

function isWrapper(response: WireObject): boolean {
  const keys = Object.keys(response);
  return keys.length === 1 && WRAPPER_KEYS.has(keys[0]!) && typeof response[keys[0]!] === 'string';
}

function isPlainObject(value: unknown): value is WireObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The rule for `functionResponse.response` (a JSON object) -> IR tool result text: an object
 * whose only key is `result` or `output` (the keys Google's docs and SDKs wrap plain values in)
 * with a string value gives that string; only key `error` with a string gives that string as an
 * error result; any other object gives its JSON text.
 */
export function decodeFunctionResponse(response: WireObject): { content: string; isError?: true } {
  if (!isWrapper(response)) return { content: JSON.stringify(response) };
  const [key, value] = Object.entries(response)[0]!;
  return key === 'error' ? { content: value as string, isError: true } : { content: value as string };
}

/**
 * The inverse of {@link decodeFunctionResponse}, exact for every content: an error result is
 * `{error: content}`; content that is the canonical JSON text of an object (and not itself a
 * wrapper shape) is sent as that object; anything else is wrapped as `{result: content}`.
 */
export function encodeFunctionResponse(content: string, isError?: boolean): WireObject {
  if (isError) return { error: content };
  try {
    const parsed: unknown = JSON.parse(content);
    if (isPlainObject(parsed) && !isWrapper(parsed) && JSON.stringify(parsed) === content) return parsed;
  } catch {
    // not JSON: wrapped below
  }
  return { result: content };
}

/**
 * Decodes wire parts to IR parts. One decoder serves a whole request (or response), because
 * function calls without an `id` get `call_<n>` (n counting calls from 0) and function responses
 * without one take the id of the earliest unanswered call of the same name.
 */
export class PartDecoder {
  /** Wire features dropped while decoding, as `path.key` (e.g. `contents[].parts[].executableCode`). */
  readonly unmapped = new Set<string>();
  private readonly calls: { id: string; name: string; answered: boolean }[] = [];
  private unmatched = 0;

  /** Decodes `parts`; `path` names where they sit, for `unmapped` entries. */
  decode(parts: readonly WirePart[], path: string): IRPart[] {
    const out: IRPart[] = [];
    for (const p of parts) {
      for (const key of p.other) this.unmapped.add(`${path}.${key}`);
      const thought = p.thought === true;
      // Gemini puts the signature of the preceding (hidden) reasoning on the next answer part,
      // typically a functionCall; the IR has no slot for it there, so it travels as an empty
      // signed thinking part just before, which encodeParts re-attaches.
      if (p.thoughtSignature !== undefined && !thought) out.push({ type: 'thinking', text: '', signature: p.thoughtSignature });
      if (p.functionCall) out.push(this.call(p.functionCall));
      else if (p.functionResponse) out.push(this.result(p.functionResponse));
      else if (p.inlineData) {
        const { mimeType, data } = p.inlineData;
        if (mimeType.startsWith('image/')) out.push({ type: 'image', source: { kind: 'base64', mediaType: mimeType, data } });
        else this.unmapped.add(`${path}.inlineData.mimeType=${mimeType}`);
      } else if (p.fileData) {
        const { mimeType, fileUri } = p.fileData;
        if (mimeType?.startsWith('image/')) out.push({ type: 'image', source: { kind: 'url', url: fileUri } });
        else this.unmapped.add(`${path}.fileData.mimeType=${mimeType ?? ''}`);
      } else if (thought) {
        const text = p.text ?? '';
        out.push(p.thoughtSignature === undefined ? { type: 'thinking', text } : { type: 'thinking', text, signature: p.thoughtSignature });
      } else if (p.text) {
        // Empty text parts (Gemini ends streams with them) carry nothing.
        out.push({ type: 'text', text: p.text });
      }
    }
    return out;
  }

  private call(fc: { id?: string; name: string; args?: WireObject }): IRPart {
    const id = fc.id ?? `call_${this.calls.length}`;
    this.calls.push({ id, name: fc.name, answered: false });
    return { type: 'tool_call', id, name: fc.name, arguments: JSON.stringify(fc.args ?? {}) };
  }

  private result(fr: { id?: string; name?: string; response?: WireObject }): IRPart {
    const call = fr.id !== undefined
      ? this.calls.find((c) => c.id === fr.id)
      : this.calls.find((c) => !c.answered && c.name === fr.name);
    if (call) call.answered = true;
    const toolCallId = fr.id ?? call?.id ?? `call_unmatched_${this.unmatched++}`;
    return { type: 'tool_result', toolCallId, name: fr.name ?? call?.name ?? '', ...decodeFunctionResponse(fr.response ?? {}) };
  }
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif',
};

/** `inlineData` for base64 (and `data:` URLs), `fileData` for URLs, whose required mimeType is guessed from the extension. */
function encodeImage(source: IRImageSource): WireObject {
  if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(source.url);
  if (dataUrl) return { inlineData: { mimeType: dataUrl[1], data: dataUrl[2] } };
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(source.url)?.[1]?.toLowerCase() ?? '';
  return { fileData: { mimeType: IMAGE_TYPES[ext] ?? 'image/jpeg', fileUri: source.url } };
}

/** Gemini args must be a JSON object: invalid JSON or a non-object becomes `{}`. */
function parseArgs(args: string): WireObject {
  try {
    const parsed: unknown = JSON.parse(args);
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Encodes one IR part as one Gemini part. */
export function encodePart(part: IRPart): WireObject {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image':
      return encodeImage(part.source);
    case 'tool_call':
      return { functionCall: { id: part.id, name: part.name, args: parseArgs(part.arguments) } };
    case 'tool_result':
      return { functionResponse: { id: part.toolCallId, name: part.name, response: encodeFunctionResponse(part.content, part.isError) } };
    case 'thinking':
      // A lone signature is a plain empty part, as Gemini itself sends it.
      if (part.text === '' && part.signature !== undefined) return { text: '', thoughtSignature: part.signature };
      return withThoughtSignature({ text: part.text, thought: true }, part.signature);
  }
}

/** `wire` with `thoughtSignature` set, when there is one. */
export function withThoughtSignature(wire: WireObject, signature: string | undefined): WireObject {
  return signature === undefined ? wire : { ...wire, thoughtSignature: signature };
}

/** True for an empty signed thinking part, which belongs on the part after it (see PartDecoder). */
function isLoneSignature(part: IRPart): part is IRPart & { type: 'thinking'; signature: string } {
  return part.type === 'thinking' && part.text === '' && part.signature !== undefined;
}

/** Encodes IR parts as Gemini parts, moving lone signatures onto the text or call they precede. */
export function encodeParts(parts: readonly IRPart[]): WireObject[] {
  const out: WireObject[] = [];
  let signature: string | undefined;
  parts.forEach((part, i) => {
    const next = parts[i + 1];
    if (isLoneSignature(part) && (next?.type === 'text' || next?.type === 'tool_call')) {
      signature = part.signature;
      return;
    }
    out.push(withThoughtSignature(encodePart(part), signature));
    signature = undefined;
  });
  return out;
}

const FILTER_REASONS = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

/** Gemini has no tool stop reason: STOP (or no reason) after functionCall parts means tool_calls. */
export function decodeFinishReason(reason: string | undefined, sawToolCall: boolean): IRStopReason {
  if (reason === undefined || reason === 'STOP') return sawToolCall ? 'tool_calls' : 'end_turn';
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  return FILTER_REASONS.has(reason) ? 'content_filter' : 'other';
}

/** end_turn, stop_sequence and tool_calls are all STOP on the wire. */
export function encodeFinishReason(reason: IRStopReason): string {
  switch (reason) {
    case 'max_tokens': return 'MAX_TOKENS';
    case 'content_filter': return 'SAFETY';
    case 'other': return 'OTHER';
    default: return 'STOP';
  }
}

/**
 * Input counts the prompt plus server-side tool-use prompts; output counts candidates plus
 * thoughts (Gemini reports them apart; OpenAI and Anthropic include reasoning in output).
 * promptTokenCount already includes cached tokens, as OpenAI's prompt_tokens does.
 */
export function decodeUsage(u: WireUsage | undefined): IRUsage {
  const usage: IRUsage = {
    inputTokens: (u?.promptTokenCount ?? 0) + (u?.toolUsePromptTokenCount ?? 0),
    outputTokens: (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0),
  };
  if (u?.cachedContentTokenCount !== undefined) usage.cachedInputTokens = u.cachedContentTokenCount;
  return usage;
}

/** IR usage as `usageMetadata`; the output count goes to candidatesTokenCount (no thoughts split). */
export function encodeUsage(usage: IRUsage): WireObject {
  return {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: usage.outputTokens,
    totalTokenCount: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens !== undefined && { cachedContentTokenCount: usage.cachedInputTokens }),
  };
}
