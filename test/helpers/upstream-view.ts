/**
 * Reads a recorded upstream request back into format-neutral terms (system prompt, turns),
 * so tests can assert what reached the upstream whatever its wire format.
 */
import type { RecordedRequest } from '../mock-upstream/index.js';

export interface Turn {
  role: 'user' | 'assistant' | 'tool';
  text: string;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: { text?: string }) => p.text ?? '').join('');
}

/** The mock serves the Responses API beside Chat Completions, under the OpenAI prefix. */
const isResponses = (rec: RecordedRequest) => rec.path.endsWith('/responses');

export function systemOf(rec: RecordedRequest): string | undefined {
  const b = rec.body;
  if (isResponses(rec)) return b.instructions ?? undefined;
  switch (rec.format) {
    case 'openai': {
      const sys = (b.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'system' || m.role === 'developer');
      return sys.length ? sys.map((m) => textOf(m.content)).join('\n\n') : undefined;
    }
    case 'anthropic':
      return b.system === undefined ? undefined : textOf(b.system);
    case 'gemini':
      return b.systemInstruction ? textOf(b.systemInstruction.parts) : undefined;
  }
}

export function turnsOf(rec: RecordedRequest): Turn[] {
  const b = rec.body;
  if (isResponses(rec)) {
    const items = typeof b.input === 'string' ? [{ role: 'user', content: b.input }] : (b.input as { type?: string; role: string; content: unknown; output?: string }[]);
    return items.map((i) => (i.type === 'function_call_output' ? { role: 'tool', text: String(i.output) } : { role: i.role as Turn['role'], text: textOf(i.content) }));
  }
  switch (rec.format) {
    case 'openai':
      return (b.messages as { role: string; content: unknown }[])
        .filter((m) => m.role !== 'system' && m.role !== 'developer')
        .map((m) => ({ role: m.role as Turn['role'], text: textOf(m.content) }));
    case 'anthropic':
      return (b.messages as { role: 'user' | 'assistant'; content: unknown }[]).map((m) => ({ role: m.role, text: textOf(m.content) }));
    case 'gemini':
      return (b.contents as { role: string; parts: unknown }[]).map((c) => ({ role: c.role === 'model' ? 'assistant' : 'user', text: textOf(c.parts) }));
  }
}
