/**
 * Tool definitions, tool calls and tool results across formats, both ways: every client
 * format against every upstream type, with the call made stream and not.
 */
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../mock-upstream/index.js';
import type { ClientFormat } from '../helpers/clients.js';
import { UPSTREAM_MODEL, mockProviders, responsesProvider, useGateway } from '../helpers/host.js';
import { TOOL, TOOL_QUESTION, TOOL_RESULT, toolRoundTrip } from '../helpers/tools.js';

const FORMATS: ClientFormat[] = ['openai', 'anthropic', 'gemini', 'openai-responses'];
const TOOL_FINISH: Record<ClientFormat, string> = { openai: 'tool_calls', anthropic: 'tool_use', gemini: 'STOP', 'openai-responses': 'completed' };

const gateway = useGateway({}, (mock) => [...mockProviders(mock), responsesProvider(mock)]);

const isResponses = (rec: RecordedRequest) => rec.path.endsWith('/responses');

/** The tool declarations an upstream request carried, as {name, parameters}. */
function declaredTools(rec: RecordedRequest): { name: string; parameters: unknown }[] {
  const b = rec.body;
  if (isResponses(rec)) return b.tools.map((t: { name: string; parameters: unknown }) => ({ name: t.name, parameters: t.parameters }));
  if (rec.format === 'openai') return b.tools.map((t: { function: { name: string; parameters: unknown } }) => ({ name: t.function.name, parameters: t.function.parameters }));
  if (rec.format === 'anthropic') return b.tools.map((t: { name: string; input_schema: unknown }) => ({ name: t.name, parameters: t.input_schema }));
  return b.tools.flatMap((t: { functionDeclarations: { name: string; parameters?: unknown; parametersJsonSchema?: unknown }[] }) =>
    t.functionDeclarations.map((d) => ({ name: d.name, parameters: d.parametersJsonSchema ?? d.parameters })),
  );
}

/** The tool result an upstream request carried: the id/name it answers and its content. */
function toolResultOf(rec: RecordedRequest): { ref: string; content: unknown } {
  const b = rec.body;
  if (isResponses(rec)) {
    const item = b.input.find((x: { type?: string }) => x.type === 'function_call_output');
    return { ref: item.call_id, content: JSON.parse(item.output) };
  }
  if (rec.format === 'openai') {
    const m = b.messages.find((x: { role: string }) => x.role === 'tool');
    return { ref: m.tool_call_id, content: JSON.parse(m.content) };
  }
  if (rec.format === 'anthropic') {
    const block = b.messages.at(-1).content.find((x: { type: string }) => x.type === 'tool_result');
    const text = typeof block.content === 'string' ? block.content : block.content.map((c: { text: string }) => c.text).join('');
    return { ref: block.tool_use_id, content: JSON.parse(text) };
  }
  const part = b.contents.at(-1).parts.find((p: { functionResponse?: unknown }) => p.functionResponse).functionResponse;
  return { ref: part.id ?? part.name, content: part.response };
}

describe.each(FORMATS)('%s client', (client) => {
  describe.each(FORMATS)('to %s upstream', (upstream) => {
    it.each([false, true])('stream=%s: declares tools, relays the call and the result', async (stream) => {
      gateway.mock.reset();
      const run = await toolRoundTrip(client, gateway.host.url, UPSTREAM_MODEL[upstream], stream);

      // The model's call reaches the client with the mock's arguments, named as declared.
      expect(run.call.name).toBe(TOOL.name);
      expect(run.call.args).toEqual({ query: TOOL_QUESTION });
      expect(run.call.id).toBeTruthy();
      expect(run.finish).toBe(TOOL_FINISH[client]);

      // The tool declaration reached the upstream intact.
      expect(gateway.mock.requests).toHaveLength(2);
      expect(declaredTools(gateway.mock.requests[0]!)).toEqual([{ name: TOOL.name, parameters: TOOL.parameters }]);

      // The result went back correlated to the upstream's own call id, and the model used it.
      const result = toolResultOf(gateway.mock.requests[1]!);
      expect(result.content).toEqual(TOOL_RESULT);
      expect(result.ref).toBe(upstream === 'anthropic' ? 'toolu_mock_1' : 'call_mock_1');
      expect(run.finalText).toBe(`tool result: ${JSON.stringify(TOOL_RESULT)}`);
    });
  });
});
