/**
 * The failure table against the bodies upstreams really send (fixtures/): each one is read by
 * status and body together, and what it does to the credential follows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyFailure } from './cooldown.js';
import { CREDENTIAL_COOLDOWN_MS, DISABLED_MS, NOT_FOUND_COOLDOWN_MS, classifyFailure } from './failures.js';
import type { FailureInput } from './types.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8');
const NOW = 1_000_000;
const policy = { transientMs: 60_000 };

function failure(status: number, name: string, retryAfterMs?: number): FailureInput {
  return { kind: 'http', status, message: `${status} upstream said no`, body: fixture(name), retryAfterMs };
}

describe('the failure table', () => {
  it.each([
    // status, fixture, the rule that decides, the cooldown it causes (ms), request error
    [400, 'gemini-key-invalid', 'rejected key', CREDENTIAL_COOLDOWN_MS, false],
    [400, 'gemini-key-expired', 'rejected key', CREDENTIAL_COOLDOWN_MS, false],
    [401, 'openai-invalid-key', 'rejected key', CREDENTIAL_COOLDOWN_MS, false],
    [429, 'openai-insufficient-quota', 'exhausted billing', CREDENTIAL_COOLDOWN_MS, false],
    [400, 'oauth-invalid-grant', 'invalid grant', CREDENTIAL_COOLDOWN_MS, false],
    [401, 'oauth-invalid-grant', 'invalid grant', CREDENTIAL_COOLDOWN_MS, false],
    [529, 'anthropic-overloaded', 'overloaded', 60_000, false],
    [404, 'gemini-model-not-found', 'not found', NOT_FOUND_COOLDOWN_MS, false],
    [429, 'gemini-quota-limit-zero', 'no quota for the model', DISABLED_MS, false],
    [400, 'openai-context-length', 'request error', undefined, true],
    [400, 'anthropic-prompt-too-long', 'request error', undefined, true],
    [400, 'anthropic-invalid-request', 'request error', undefined, true],
    [400, 'gemini-context-length', 'request error', undefined, true],
  ] as const)('%i %s: %s', (status, name, rule, coolsMs, requestError) => {
    const input = failure(status, name);
    expect(classifyFailure(input).name).toBe(rule);
    const outcome = applyFailure(undefined, input, NOW, policy);
    expect(outcome.requestError).toBe(requestError);
    expect(outcome.state?.until).toBe(coolsMs === undefined ? undefined : NOW + coolsMs);
  });

  it('a rate limit waits for the upstream’s hint, unlike exhausted billing', () => {
    const limited = applyFailure(undefined, failure(429, 'openai-rate-limit', 2000), NOW, policy);
    expect(classifyFailure(failure(429, 'openai-rate-limit')).name).toBe('rate limited');
    expect(limited.state).toMatchObject({ reason: 'quota', until: NOW + 2000 });
    const billing = applyFailure(undefined, failure(429, 'openai-insufficient-quota', 2000), NOW, policy);
    expect(billing.state).toMatchObject({ reason: 'payment_required', until: NOW + CREDENTIAL_COOLDOWN_MS });
  });

  it('a Gemini rate limit with a quota left waits for its hint; limit: 0 disables the model on the key', () => {
    expect(classifyFailure(failure(429, 'gemini-rate-limit')).name).toBe('rate limited');
    expect(applyFailure(undefined, failure(429, 'gemini-rate-limit', 12_000), NOW, policy).state).toMatchObject({ reason: 'quota', until: NOW + 12_000 });
    expect(applyFailure(undefined, failure(429, 'gemini-quota-limit-zero', 46_000), NOW, policy).state).toMatchObject({ reason: 'disabled', until: NOW + DISABLED_MS });
  });

  it('reads the reason from the body, not from the message alone', () => {
    const withoutBody = { kind: 'http', status: 400, message: '400 API key not valid. Please pass a valid API key.' } as const;
    // The message says it too: the Gemini decoder takes its message from the body.
    expect(classifyFailure(withoutBody).name).toBe('rejected key');
    expect(classifyFailure({ kind: 'http', status: 400, message: '400 bad request', body: fixture('gemini-key-invalid') }).name).toBe('rejected key');
  });

  it('a network fault is transient, never a rejected key, whatever its text', () => {
    expect(classifyFailure({ kind: 'network', message: 'ECONNRESET while sending API key not valid' }).name).toBe('transient');
  });
});
