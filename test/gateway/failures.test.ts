/**
 * Upstream failures classified by status and body together, end to end with the bodies real
 * upstreams send: a dead Gemini key is benched and failed over, exhausted billing is not a
 * one-second rate limit, a pool benched for non-quota reasons is a 503 (not a 429 telling the
 * client to sleep), and an upstream's error code reaches the client: unchanged in the same
 * format, in the client's own terms across formats.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_KEY } from '../helpers/host.js';
import { mockWithHostPerTest } from '../helpers/per-test-host.js';

const MGMT = 'mgmt-failures';
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../../host/src/core/conductor/fixtures', `${name}.json`), 'utf8'));

const t = mockWithHostPerTest();

async function start(providers: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return t.start({ managementKey: MGMT, retry: { requestRetry: 0 }, providers, ...extra });
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const chat = (model: string) => post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
const gemini = (model: string) => post(`/v1beta/models/${model}:generateContent`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });

async function credentials() {
  const res = await fetch(`${t.host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } });
  return (await res.json()) as { id: string; status: string; models: Record<string, { status: string; reason?: string; nextRetryAt?: string }> }[];
}

describe('a dead Gemini key (400 API_KEY_INVALID)', () => {
  it('is benched for 30 minutes and failed over: no request fails, and it is asked once', async () => {
    const keys = ['gm-live-1', 'gm-dead', 'gm-live-2'];
    await start([{ name: 'gemini', type: 'gemini', baseUrl: t.mock.baseUrl('gemini'), apiKeys: keys, models: ['gemini-2.5-pro'] }]);
    t.mock.fault({ key: 'gm-dead', kind: 'status', status: 400, body: fixture('gemini-key-invalid') });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await gemini('gemini-2.5-pro')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(t.mock.requests.filter((r) => r.apiKey === 'gm-dead')).toHaveLength(1);
    const dead = (await credentials()).find((c) => c.id === 'gemini#1')!;
    expect(dead.status).toBe('cooling');
    expect(dead.models['gemini-2.5-pro']!.reason).toMatch(/^unauthorized: .*API key not valid/);
    const until = Date.parse(dead.models['gemini-2.5-pro']!.nextRetryAt!);
    expect(until - Date.now()).toBeGreaterThan(29 * 60_000);
  });
});

describe('exhausted billing (OpenAI 429 insufficient_quota)', () => {
  it('benches the key for 30 minutes like a 402, not for a second like a rate limit', async () => {
    await start([{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-broke', 'sk-paid'], models: ['gpt-4.1'] }], { routing: { strategy: 'fill-first' } });
    t.mock.fault({ key: 'sk-broke', kind: 'status', status: 429, body: fixture('openai-insufficient-quota') });
    expect((await chat('gpt-4.1')).status).toBe(200);
    const broke = (await credentials()).find((c) => c.id === 'oa#0')!;
    expect(broke.models['gpt-4.1']!.reason).toMatch(/^payment_required/);
    expect(Date.parse(broke.models['gpt-4.1']!.nextRetryAt!) - Date.now()).toBeGreaterThan(29 * 60_000);
  });
});

describe('Anthropic 529 overloaded', () => {
  it('is transient: the next key serves at once', async () => {
    await start([{ name: 'an', type: 'anthropic', baseUrl: t.mock.baseUrl('anthropic'), apiKeys: ['sk-an-1', 'sk-an-2'], models: ['claude-sonnet-4-6'] }], { routing: { strategy: 'fill-first' } });
    t.mock.fault({ key: 'sk-an-1', kind: 'status', status: 529, body: fixture('anthropic-overloaded') });
    const res = await post('/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-credential')).toBe('an#1');
    expect((await credentials()).find((c) => c.id === 'an#0')!.models['claude-sonnet-4-6']!.reason).toMatch(/^transient/);
  });
});

describe('a pool benched for reasons other than quota', () => {
  it('answers 503 naming each credential and until when, x-should-retry: false and no Retry-After', async () => {
    await start([{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-revoked-1', 'sk-revoked-2'], models: ['gpt-4.1'] }]);
    t.mock.fault({ kind: 'status', status: 401, body: fixture('openai-invalid-key') });
    const first = await chat('gpt-4.1');
    // This request's own attempts all failed one known way: the client hears it in its terms.
    expect(first.status).toBe(401);
    expect(first.headers.get('x-should-retry')).toBe('false');
    const second = await chat('gpt-4.1');
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(second.headers.get('x-should-retry')).toBe('false');
    const error = JSON.parse(second.text).error;
    expect(error.code).toBe('credentials_unavailable');
    expect(error.message).toMatch(/oa#0 \(oa\/gpt-4\.1\): unauthorized until \d{4}-\d\d-\d\dT/);
    expect(error.message).toMatch(/oa#1 \(oa\/gpt-4\.1\): unauthorized until/);
    expect(second.text).not.toContain('sk-revoked');
    expect(t.mock.requests).toHaveLength(2);
  });

  it('still answers 429 with Retry-After and retry-after-ms when quota is what holds them back', async () => {
    await start([{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-busy'], models: ['gpt-4.1'] }], { retry: { requestRetry: 0, maxRetryInterval: '10ms' } });
    t.mock.fault({ kind: 'status', status: 429, retryAfter: '20', body: fixture('openai-rate-limit') });
    const res = await chat('gpt-4.1');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(res.headers.get('retry-after-ms'))).toBeGreaterThan(18_000);
    expect(res.headers.get('x-should-retry')).toBe('false');
  });
});

describe('upstream error codes reach the client', () => {
  it('same format: the upstream status and body pass through unchanged (context_length_exceeded)', async () => {
    await start([{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-oa'], models: ['gpt-4.1'] }]);
    t.mock.fault({ kind: 'status', status: 400, body: fixture('openai-context-length') });
    const res = await chat('gpt-4.1');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual(fixture('openai-context-length'));
  });

  it('across formats: an OpenAI upstream’s context length error is "prompt is too long" to an Anthropic client', async () => {
    await start([{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-oa'], models: ['gpt-4.1'] }]);
    t.mock.fault({ kind: 'status', status: 400, body: fixture('openai-context-length') });
    const res = await post('/v1/messages', { model: 'gpt-4.1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 130512 tokens > 128000 maximum' } });
  });

  it('across formats: Anthropic’s "prompt is too long" is context_length_exceeded to an OpenAI client, and overloaded stays overloaded', async () => {
    await start([{ name: 'an', type: 'anthropic', baseUrl: t.mock.baseUrl('anthropic'), apiKeys: ['sk-an'], models: ['claude-sonnet-4-6'] }]);
    t.mock.fault({ kind: 'status', status: 400, body: fixture('anthropic-prompt-too-long'), times: 1 });
    const long = await chat('claude-sonnet-4-6');
    expect(long.status).toBe(400);
    expect(JSON.parse(long.text).error).toMatchObject({ code: 'context_length_exceeded', type: 'invalid_request_error' });
    t.mock.fault({ kind: 'status', status: 529, body: fixture('anthropic-overloaded'), times: 1 });
    const busy = await chat('claude-sonnet-4-6');
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.text).error).toMatchObject({ type: 'server_error', code: 'overloaded' });
  });
});
