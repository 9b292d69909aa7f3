/**
 * Each format reads the known kinds of failure from the error bodies its upstreams really send
 * (the fixtures of the failure table), and a client of another format gets them in its own terms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from './index.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../core/conductor/fixtures', `${name}.json`), 'utf8');

describe('known kinds of upstream failure', () => {
  it.each([
    ['openai', 400, 'openai-context-length', { kind: 'context_length', tokens: 130_512, limit: 128_000 }],
    ['anthropic', 400, 'anthropic-prompt-too-long', { kind: 'context_length', tokens: 215_342, limit: 200_000 }],
    ['gemini', 400, 'gemini-context-length', { kind: 'context_length', tokens: 1_200_345, limit: 1_048_576 }],
    ['anthropic', 529, 'anthropic-overloaded', { kind: 'overloaded' }],
    ['openai', 429, 'openai-rate-limit', { kind: 'rate_limit' }],
    ['gemini', 404, 'gemini-model-not-found', { kind: 'not_found' }],
    ['anthropic', 400, 'anthropic-invalid-request', undefined],
    ['openai', 429, 'openai-insufficient-quota', undefined],
  ] as const)('%s %i %s', (format, status, name, kind) => {
    expect(FORMATS[format].upstream.errorKind(status, fixture(name))).toEqual(kind);
  });

  it('an OpenAI context length error reaches an Anthropic client as "prompt is too long", and back', () => {
    const kind = FORMATS.openai.upstream.errorKind(400, fixture('openai-context-length'))!;
    expect(FORMATS.anthropic.kindError(kind, 'x')).toEqual({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 130512 tokens > 128000 maximum' } },
    });
    const back = FORMATS.anthropic.upstream.errorKind(400, fixture('anthropic-prompt-too-long'))!;
    expect(FORMATS.openai.kindError(back, 'x')).toMatchObject({ status: 400, body: { error: { code: 'context_length_exceeded', type: 'invalid_request_error' } } });
    expect(FORMATS.gemini.kindError(back, 'x')).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT', message: expect.stringContaining('input token count (215342) exceeds') } } });
  });

  it('overloaded is 529 overloaded_error for Anthropic, 503 for the others', () => {
    expect(FORMATS.anthropic.kindError({ kind: 'overloaded' }, 'busy')).toMatchObject({ status: 529, body: { error: { type: 'overloaded_error' } } });
    expect(FORMATS.openai.kindError({ kind: 'overloaded' }, 'busy')).toMatchObject({ status: 503, body: { error: { type: 'server_error' } } });
    expect(FORMATS.gemini.kindError({ kind: 'overloaded' }, 'busy')).toMatchObject({ status: 503, body: { error: { status: 'UNAVAILABLE' } } });
  });
});
