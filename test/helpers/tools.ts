/**
 * A two-step tool conversation through each official SDK: the model calls a tool, the client
 * sends the tool's result back, the model answers. Returns what the SDK parsed at each step.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { type ClientFormat, anthropicClient, geminiClient, openaiClient } from './clients.js';

export const TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};
export const TOOL_QUESTION = 'Weather in Paris?';
export const TOOL_RESULT = { temp: 21 };

export interface ToolRun {
  call: { id: string; name: string; args: unknown };
  finish?: string;
  finalText: string;
}

export async function toolRoundTrip(format: ClientFormat, url: string, model: string, stream: boolean): Promise<ToolRun> {
  switch (format) {
    case 'openai': {
      const client = openaiClient(url);
      const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: TOOL }];
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: TOOL_QUESTION }];
      let call: { id: string; name: string; arguments: string };
      let finish: string | undefined;
      if (!stream) {
        const r = await client.chat.completions.create({ model, messages, tools });
        const tc = r.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
        call = { id: tc.id, name: tc.function.name, arguments: tc.function.arguments };
        finish = r.choices[0]!.finish_reason;
      } else {
        call = { id: '', name: '', arguments: '' };
        for await (const chunk of await client.chat.completions.create({ model, messages, tools, stream: true })) {
          const tc = chunk.choices[0]?.delta.tool_calls?.[0];
          if (tc?.id) call.id = tc.id;
          if (tc?.function?.name) call.name = tc.function.name;
          if (tc?.function?.arguments) call.arguments += tc.function.arguments;
          if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
        }
      }
      messages.push(
        { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] },
        { role: 'tool', tool_call_id: call.id, content: JSON.stringify(TOOL_RESULT) },
      );
      const final = await client.chat.completions.create({ model, messages, tools });
      return { call: { id: call.id, name: call.name, args: JSON.parse(call.arguments) }, finish, finalText: final.choices[0]!.message.content ?? '' };
    }
    case 'anthropic': {
      const client = anthropicClient(url);
      const tools: Anthropic.Tool[] = [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters as Anthropic.Tool.InputSchema }];
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: TOOL_QUESTION }];
      const params = { model, max_tokens: 256, tools, messages };
      const first = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: JSON.stringify(TOOL_RESULT) }] },
      );
      const final = await client.messages.create({ ...params, messages });
      const finalText = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return { call: { id: use.id, name: use.name, args: use.input }, finish: first.stop_reason ?? undefined, finalText };
    }
    case 'openai-responses': {
      const client = openaiClient(url);
      // Strictness said outright, as Responses would otherwise make the tool strict.
      const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', ...TOOL, strict: false }];
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: TOOL_QUESTION }];
      const first = stream ? await client.responses.stream({ model, input, tools }).finalResponse() : await client.responses.create({ model, input, tools });
      const fc = first.output.find((item) => item.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      input.push(
        { type: 'function_call', call_id: fc.call_id, name: fc.name, arguments: fc.arguments },
        { type: 'function_call_output', call_id: fc.call_id, output: JSON.stringify(TOOL_RESULT) },
      );
      const final = await client.responses.create({ model, input, tools, store: false });
      const finalText = final.output.flatMap((item) => (item.type === 'message' ? item.content.map((c) => (c.type === 'output_text' ? c.text : '')) : [])).join('');
      return { call: { id: fc.call_id, name: fc.name, args: JSON.parse(fc.arguments) }, finish: first.status, finalText };
    }
    case 'gemini': {
      const client = geminiClient(url);
      const config = { tools: [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: TOOL.parameters }] }] };
      const contents: { role: string; parts: Record<string, unknown>[] }[] = [{ role: 'user', parts: [{ text: TOOL_QUESTION }] }];
      let fc: { id?: string; name?: string; args?: unknown } | undefined;
      let finish: string | undefined;
      if (!stream) {
        const r = await client.models.generateContent({ model, contents, config });
        fc = r.functionCalls?.[0];
        finish = r.candidates?.[0]?.finishReason;
      } else {
        for await (const chunk of await client.models.generateContentStream({ model, contents, config })) {
          fc ??= chunk.functionCalls?.[0];
          finish = chunk.candidates?.[0]?.finishReason ?? finish;
        }
      }
      contents.push(
        { role: 'model', parts: [{ functionCall: fc }] },
        { role: 'user', parts: [{ functionResponse: { id: fc?.id, name: fc?.name, response: TOOL_RESULT } }] },
      );
      const final = await client.models.generateContent({ model, contents, config });
      return { call: { id: fc?.id ?? '', name: fc?.name ?? '', args: fc?.args }, finish, finalText: final.text ?? '' };
    }
  }
}
