import { describe, expect, it } from 'vitest';
import { duration, readRateLimits } from './rate-limits.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');

describe('readRateLimits', () => {
  it('reads OpenAI limits with their reset durations', () => {
    const limits = readRateLimits(
      {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29000',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      NOW,
    );
    expect(limits).toEqual([
      { dimension: 'requests', source: 'openai-headers', limit: 500, remaining: 499, resetAt: NOW + 120 },
      { dimension: 'tokens', source: 'openai-headers', limit: 30000, remaining: 29000, resetAt: NOW + 360_000 },
    ]);
  });

  it('takes Azure-style -1 and garbage as unknown', () => {
    expect(readRateLimits({ 'x-ratelimit-limit-requests': '-1', 'x-ratelimit-remaining-requests': '-1', 'x-ratelimit-reset-requests': 'soon' }, NOW)).toEqual([]);
    expect(readRateLimits({ 'x-ratelimit-remaining-tokens': '10', 'x-ratelimit-limit-tokens': 'lots' }, NOW)).toEqual([{ dimension: 'tokens', source: 'openai-headers', remaining: 10 }]);
  });

  it('reads Anthropic limits with RFC 3339 resets, and the subscription windows', () => {
    const limits = readRateLimits(
      {
        'anthropic-ratelimit-requests-limit': '1000',
        'anthropic-ratelimit-requests-remaining': '999',
        'anthropic-ratelimit-requests-reset': '2026-12-05T12:00:30Z',
        'anthropic-ratelimit-input-tokens-limit': '80000',
        'anthropic-ratelimit-input-tokens-remaining': '79000',
        'anthropic-ratelimit-input-tokens-reset': '2026-12-05T12:00:05Z',
        'anthropic-ratelimit-unified-status': 'allowed',
        'anthropic-ratelimit-unified-5h-utilization': '0.25',
        'anthropic-ratelimit-unified-5h-reset': String(NOW / 1000 + 3600),
      },
      NOW,
    );
    expect(limits).toEqual([
      { dimension: 'requests', source: 'anthropic-headers', limit: 1000, remaining: 999, resetAt: NOW + 30_000 },
      { dimension: 'input-tokens', source: 'anthropic-headers', limit: 80000, remaining: 79000, resetAt: NOW + 5_000 },
      { dimension: 'unified-5h', source: 'anthropic-unified', limit: 1000, remaining: 750, resetAt: NOW + 3_600_000 },
    ]);
  });

  it('reads a rejected subscription window as spent', () => {
    const limits = readRateLimits(
      { 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-7d-status': 'rejected', 'anthropic-ratelimit-unified-7d-utilization': '0.97', 'anthropic-ratelimit-unified-7d-reset': String(NOW / 1000 + 86_400) },
      NOW,
    );
    expect(limits).toEqual([{ dimension: 'unified-7d', source: 'anthropic-unified', limit: 1000, remaining: 0, resetAt: NOW + 86_400_000 }]);
  });

  it('finds nothing in an answer without signals (Gemini)', () => {
    expect(readRateLimits({ 'content-type': 'application/json' }, NOW)).toEqual([]);
  });
});

describe('duration', () => {
  it('reads Go-style durations', () => {
    expect(duration('1s')).toBe(1000);
    expect(duration('1.5s')).toBe(1500);
    expect(duration('6m0s')).toBe(360_000);
    expect(duration('1h2m3s')).toBe(3_723_000);
    expect(duration('12ms')).toBe(12);
    expect(duration('12')).toBeUndefined();
    expect(duration('-1s')).toBeUndefined();
  });
});
