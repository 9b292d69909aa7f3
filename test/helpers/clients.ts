/**
 * One conversation, sent through each official SDK, so every client format can be driven the
 * same way against every upstream type. Each call returns the reply text and usage as the SDK
 * parsed it.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { CLIENT_KEY } from './host.js';

export type ClientFormat = 'openai' | 'anthropic' | 'gemini' | 'openai-responses';

export const SYSTEM = 'You are a terse assistant.';
/** Earlier turns, then the question the mock echoes. */
export const HISTORY = [
  { role: 'user' as const, text: 'Hi there' },
  { role: 'assistant' as const, text: 'Hello! How can I help?' },
];
export const QUESTION = 'What is the capital of France?';

export interface Reply {
  text: string;
  inputTokens?: number;
  outputTokens?: number;
  finish?: string;
}

export function openaiClient(url: string, apiKey = CLIENT_KEY): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
}
export function anthropicClient(url: string, apiKey = CLIENT_KEY): Anthropic {
  return new Anthropic({ baseURL: url, apiKey, maxRetries: 0 });
}
export function geminiClient(url: string, apiKey = CLIENT_KEY): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url } });
}

/** Sends SYSTEM + HISTORY + QUESTION to `model` through the SDK of `format`. */
export async function converse(format: ClientFormat, url: string, model: string, stream: boolean): Promise<Reply> {
  switch (format) {
    case 'openai': {
      const client = openaiClient(url);
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'system', content: SYSTEM },
        ...HISTORY.map((h) => ({ role: h.role, content: h.text })),
        { role: 'user', content: QUESTION },
      ];
      if (!stream) {
        const r = await client.chat.completions.create({ model, messages });
        return { text: r.choices[0]!.message.content ?? '', inputTokens: r.usage?.prompt_tokens, outputTokens: r.usage?.completion_tokens, finish: r.choices[0]!.finish_reason };
      }
      const s = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
      const reply: Reply = { text: '' };
      for await (const chunk of s) {
        reply.text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.finish_reason) reply.finish = chunk.choices[0].finish_reason;
        if (chunk.usage) {
          reply.inputTokens = chunk.usage.prompt_tokens;
          reply.outputTokens = chunk.usage.completion_tokens;
        }
      }
      return reply;
    }
    case 'anthropic': {
      const client = anthropicClient(url);
      const params = {
        model,
        max_tokens: 256,
        system: SYSTEM,
        messages: [...HISTORY.map((h) => ({ role: h.role, content: h.text })), { role: 'user' as const, content: QUESTION }],
      };
      if (!stream) {
        const r = await client.messages.create(params);
        const text = r.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
        return { text, inputTokens: r.usage.input_tokens, outputTokens: r.usage.output_tokens, finish: r.stop_reason ?? undefined };
      }
      const final = await client.messages.stream(params).finalMessage();
      const text = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return { text, inputTokens: final.usage.input_tokens, outputTokens: final.usage.output_tokens, finish: final.stop_reason ?? undefined };
    }
    case 'openai-responses': {
      const client = openaiClient(url);
      const params = {
        model,
        instructions: SYSTEM,
        input: [...HISTORY.map((h) => ({ role: h.role, content: h.text })), { role: 'user' as const, content: QUESTION }],
      };
      const r = stream ? await client.responses.stream(params).finalResponse() : await client.responses.create(params);
      const text = r.output.flatMap((item) => (item.type === 'message' ? item.content.map((c) => (c.type === 'output_text' ? c.text : '')) : [])).join('');
      return { text, inputTokens: r.usage?.input_tokens, outputTokens: r.usage?.output_tokens, finish: r.status };
    }
    case 'gemini': {
      const client = geminiClient(url);
      const contents = [
        ...HISTORY.map((h) => ({ role: h.role === 'assistant' ? 'model' : 'user', parts: [{ text: h.text }] })),
        { role: 'user', parts: [{ text: QUESTION }] },
      ];
      const config = { systemInstruction: SYSTEM };
      if (!stream) {
        const r = await client.models.generateContent({ model, contents, config });
        return { text: r.text ?? '', inputTokens: r.usageMetadata?.promptTokenCount, outputTokens: r.usageMetadata?.candidatesTokenCount, finish: r.candidates?.[0]?.finishReason };
      }
      const reply: Reply = { text: '' };
      for await (const chunk of await client.models.generateContentStream({ model, contents, config })) {
        reply.text += chunk.text ?? '';
        if (chunk.candidates?.[0]?.finishReason) reply.finish = chunk.candidates[0].finishReason;
        if (chunk.usageMetadata) {
          reply.inputTokens = chunk.usageMetadata.promptTokenCount;
          reply.outputTokens = chunk.usageMetadata.candidatesTokenCount;
        }
      }
      return reply;
    }
  }
}
