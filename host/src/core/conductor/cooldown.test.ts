import { describe, expect, it } from 'vitest';
import type { ModelState } from '../state/types.js';
import { MESSAGE_MAX_CHARS, QUOTA_BACKOFF_MAX_MS, applyFailure, isCooling } from './cooldown.js';
import { CREDENTIAL_COOLDOWN_MS, MODEL_NOT_SUPPORTED_COOLDOWN_MS, NOT_FOUND_COOLDOWN_MS } from './failures.js';
import type { FailureInput } from './types.js';

const NOW = 1_000_000;
const policy = { transientMs: 10_000 };

function http(status: number, message = 'upstream said no', retryAfterMs?: number): FailureInput {
  return retryAfterMs === undefined
    ? { kind: 'http', status, message }
    : { kind: 'http', status, message, retryAfterMs };
}

describe('applyFailure', () => {
  it('a plain 400 is a request error with no cooldown', () => {
    const prev: ModelState = { until: NOW - 1, reason: 'quota', backoffLevel: 3 };
    for (const status of [400, 422]) {
      expect(applyFailure(undefined, http(status, 'messages: field required'), NOW, policy)).toEqual({
        state: undefined,
        requestError: true,
      });
      // The state is handed back as is, backoff level included.
      expect(applyFailure(prev, http(status, 'bad request'), NOW, policy).state).toBe(prev);
    }
  });

  it('a model-not-supported 400 cools 12 h and lets the next candidate try', () => {
    const messages = [
      'The model `gpt-9` does not exist or you do not have access to it.',
      'models/gemini-0 is not found for API version v1beta, or is not supported for generateContent',
      'Model not supported: claude-x',
      'This model is not available in your region',
      'Unsupported model: foo',
      'unknown model "bar"',
      'Invalid model specified',
      'error code: model_not_found',
    ];
    for (const message of messages) {
      for (const status of [400, 422]) {
        const { state, requestError } = applyFailure(undefined, http(status, message), NOW, policy);
        expect(requestError, message).toBe(false);
        expect(state, message).toEqual({
          until: NOW + MODEL_NOT_SUPPORTED_COOLDOWN_MS,
          reason: 'model_not_supported',
          status,
          message,
          backoffLevel: 0,
        });
      }
    }
    expect(MODEL_NOT_SUPPORTED_COOLDOWN_MS).toBe(12 * 3_600_000);
  });

  it('a 400 that mentions the model far from "not found" stays a request error', () => {
    const message = `model: gpt-4o; ${'x'.repeat(200)} tool "search" not found`;
    expect(applyFailure(undefined, http(400, message), NOW, policy).requestError).toBe(true);
  });

  it('409, 413 and 415 are request errors with no cooldown', () => {
    const prev: ModelState = { until: NOW + 5_000, reason: 'transient', backoffLevel: 0 };
    for (const status of [409, 413, 415]) {
      expect(applyFailure(undefined, http(status), NOW, policy)).toEqual({ state: undefined, requestError: true });
      expect(applyFailure(prev, http(status), NOW, policy).state).toBe(prev);
    }
  });

  it('a 401 cools the credential for 30 minutes', () => {
    expect(CREDENTIAL_COOLDOWN_MS).toBe(30 * 60_000);
    expect(applyFailure(undefined, http(401, 'invalid api key'), NOW, policy)).toEqual({
      state: { until: NOW + CREDENTIAL_COOLDOWN_MS, reason: 'unauthorized', status: 401, message: 'invalid api key', backoffLevel: 0 },
      requestError: false,
    });
  });

  it('a 402 cools the credential for 30 minutes as payment_required', () => {
    const { state, requestError } = applyFailure(undefined, http(402), NOW, policy);
    expect(requestError).toBe(false);
    expect(state).toMatchObject({ until: NOW + CREDENTIAL_COOLDOWN_MS, reason: 'payment_required' });
  });

  it('a 403 cools the credential for 30 minutes as forbidden', () => {
    const { state } = applyFailure(undefined, http(403), NOW, policy);
    expect(state).toMatchObject({ until: NOW + CREDENTIAL_COOLDOWN_MS, reason: 'forbidden' });
  });

  it('a 404 cools the model for 12 hours', () => {
    expect(NOT_FOUND_COOLDOWN_MS).toBe(12 * 3_600_000);
    const { state, requestError } = applyFailure(undefined, http(404), NOW, policy);
    expect(requestError).toBe(false);
    expect(state).toMatchObject({ until: NOW + NOT_FOUND_COOLDOWN_MS, reason: 'not_found', status: 404 });
  });

  it('429 honours Retry-After', () => {
    const { state, requestError } = applyFailure(undefined, http(429, 'slow down', 7_000), NOW, policy);
    expect(requestError).toBe(false);
    // The upstream's hint neither needs nor feeds the backoff.
    expect(state).toEqual({ until: NOW + 7_000, reason: 'quota', status: 429, message: 'slow down', backoffLevel: 0 });
  });

  it('429 without a hint waits 1 s then doubles up to 30 min', () => {
    let state: ModelState | undefined;
    let now = NOW;
    const waits: number[] = [];
    for (let i = 0; i < 14; i++) {
      state = applyFailure(state, http(429), now, policy).state as ModelState;
      waits.push(state.until - now);
      expect(state.backoffLevel).toBe(i + 1);
      now = state.until; // the window has passed: the next 429 escalates again
    }
    expect(waits.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(waits.at(-1)).toBe(QUOTA_BACKOFF_MAX_MS);
    expect(Math.max(...waits)).toBe(30 * 60_000);
  });

  it('a burst of 429s in one window escalates once', () => {
    const first = applyFailure(undefined, http(429), NOW, policy).state as ModelState;
    expect(first).toMatchObject({ until: NOW + 1_000, backoffLevel: 1 });
    for (const at of [NOW, NOW + 10, NOW + 999]) {
      expect(applyFailure(first, http(429), at, policy).state).toBe(first);
      // A shorter hint inside the window does not shorten it either.
      expect(applyFailure(first, http(429, 'x', 1), at, policy).state).toBe(first);
    }
  });

  it('a longer Retry-After inside the window lengthens it without escalating', () => {
    const first = applyFailure(undefined, http(429), NOW, policy).state as ModelState;
    const { state } = applyFailure(first, http(429, 'wait a minute', 60_000), NOW + 500, policy);
    expect(state).toMatchObject({ until: NOW + 500 + 60_000, reason: 'quota', backoffLevel: 1 });
  });

  it('never shortens an existing cooldown', () => {
    const long: ModelState = { until: NOW + NOT_FOUND_COOLDOWN_MS, reason: 'not_found', status: 404, backoffLevel: 2 };
    for (const failure of [http(401), http(403), http(429), http(429, 'x', 5_000), http(503), http(400, 'unknown model')]) {
      expect(applyFailure(long, failure, NOW, policy).state).toBe(long);
    }
    const network: FailureInput = { kind: 'network', message: 'ECONNRESET' };
    expect(applyFailure(long, network, NOW, policy).state).toBe(long);
    // A longer cooldown does replace a shorter one.
    const short: ModelState = { until: NOW + 1_000, reason: 'transient', backoffLevel: 2 };
    expect(applyFailure(short, http(401), NOW, policy).state).toMatchObject({
      until: NOW + CREDENTIAL_COOLDOWN_MS,
      reason: 'unauthorized',
      backoffLevel: 2,
    });
  });

  it('408, 5xx, network faults, timeouts and broken streams cool for the transient duration', () => {
    const failures: FailureInput[] = [
      http(408),
      http(500),
      http(502),
      http(503),
      http(529),
      { kind: 'network', message: 'ECONNREFUSED' },
      { kind: 'timeout', message: 'no response in 60 s' },
      { kind: 'stream', message: 'stream ended early' },
    ];
    for (const failure of failures) {
      const { state, requestError } = applyFailure(undefined, failure, NOW, policy);
      expect(requestError).toBe(false);
      expect(state).toMatchObject({ until: NOW + policy.transientMs, reason: 'transient' });
      expect(state?.status).toBe(failure.status);
    }
  });

  it('an unexpected status such as 418 is treated as transient', () => {
    const { state, requestError } = applyFailure(undefined, http(418, "I'm a teapot"), NOW, policy);
    expect(requestError).toBe(false);
    expect(state).toMatchObject({ until: NOW + policy.transientMs, reason: 'transient', status: 418 });
  });

  it('transient cooldown 0 means none', () => {
    const off = { transientMs: 0 };
    expect(applyFailure(undefined, http(503), NOW, off)).toEqual({ state: undefined, requestError: false });
    const expired: ModelState = { until: NOW, reason: 'quota', backoffLevel: 1 };
    expect(applyFailure(expired, http(503), NOW, off).state).toBeUndefined();
    // A cooldown still in force is kept.
    const live: ModelState = { until: NOW + 1, reason: 'quota', backoffLevel: 1 };
    expect(applyFailure(live, { kind: 'timeout', message: 't' }, NOW, off).state).toBe(live);
  });

  it('keeps the status and a truncated message, and carries the backoff level over', () => {
    const prev: ModelState = { until: NOW - 1, reason: 'quota', backoffLevel: 4 };
    const { state } = applyFailure(prev, http(503, 'e'.repeat(1_000)), NOW, policy);
    expect(state?.status).toBe(503);
    expect(state?.message).toBe('e'.repeat(MESSAGE_MAX_CHARS));
    expect(MESSAGE_MAX_CHARS).toBe(300);
    expect(state?.backoffLevel).toBe(4);
    // A network fault has no status and an empty message is left out.
    const bare = applyFailure(undefined, { kind: 'network', message: '' }, NOW, policy).state;
    expect(bare).toEqual({ until: NOW + policy.transientMs, reason: 'transient', backoffLevel: 0 });
  });
});

describe('isCooling', () => {
  it('is true only while until is ahead of now', () => {
    const state: ModelState = { until: NOW, reason: 'transient', backoffLevel: 0 };
    expect(isCooling(state, NOW - 1)).toBe(true);
    expect(isCooling(state, NOW)).toBe(false);
    expect(isCooling(undefined, NOW)).toBe(false);
  });
});
