import { describe, expect, it } from 'vitest';
import { TupleCache } from './tuple-cache.js';

describe('TupleCache', () => {
  it('creates one value per tuple and returns it again without calling make', () => {
    const made: unknown[][] = [];
    const cache = new TupleCache(4, (values) => {
      made.push(values);
      return { values };
    });
    const a = cache.get('/v1/chat/completions', 'openai', 'gpt-4.1', 200);
    expect(cache.get('/v1/chat/completions', 'openai', 'gpt-4.1', 200)).toBe(a);
    const b = cache.get('/v1/chat/completions', 'openai', 'gpt-4.1', 429);
    expect(b).not.toBe(a);
    expect(cache.get('/v1/messages', '', '', 401)).not.toBe(a);
    expect(made).toEqual([
      ['/v1/chat/completions', 'openai', 'gpt-4.1', 200],
      ['/v1/chat/completions', 'openai', 'gpt-4.1', 429],
      ['/v1/messages', '', '', 401],
    ]);
  });

  it('works with a single key', () => {
    const cache = new TupleCache(1, ([provider]) => ({ provider }));
    expect(cache.get('openai')).toBe(cache.get('openai'));
    expect(cache.get('gemini')).toEqual({ provider: 'gemini' });
  });
});
