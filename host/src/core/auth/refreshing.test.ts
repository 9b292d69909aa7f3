import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthCredential, AuthRefreshResult } from '@switchyard/plugin-sdk';
import { parseCredentialFile, parseExpiry } from './credential-file.js';
import { Limiter, RefreshingCredential } from './refreshing.js';

async function fileWith(material: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-cred-'));
  const path = join(dir, 'cred.json');
  const text = JSON.stringify({ provider: 'up', type: 'oauth2', ...material });
  await writeFile(path, text);
  return { dir, path, file: parseCredentialFile(path, text) };
}

/** A fake auth plugin: each refresh answers a new token living `ttl` ms on the fake clock. */
function plugin(clock: { now: number }, ttl = 60_000) {
  const seen: AuthCredential[] = [];
  let fail: string | undefined;
  let gate: Promise<void> | undefined;
  return {
    seen,
    failWith(message: string | undefined) {
      fail = message;
    },
    hold(until: Promise<void>) {
      gate = until;
    },
    refresh: async (credential: AuthCredential): Promise<AuthRefreshResult> => {
      seen.push(credential);
      if (gate) await gate;
      if (fail) throw new Error(fail);
      const n = seen.length;
      return { token: `access-token-${n}`, expiresAt: clock.now + ttl, material: { refresh_token: `refresh-token-${n}` }, metadata: { n } };
    },
  };
}

const signal = () => new AbortController().signal;

describe('RefreshingCredential', () => {
  it('refreshes once for any number of callers, and writes the rotated material back atomically', async () => {
    const clock = { now: 1_000_000 };
    const { dir, path, file } = await fileWith({ refresh_token: 'refresh-token-0' });
    const fake = plugin(clock);
    let release!: () => void;
    fake.hold(new Promise<void>((r) => (release = r)));
    const cred = new RefreshingCredential(file, 'up#0', { refresh: fake.refresh, limiter: new Limiter(4), now: () => clock.now });
    const calls = Array.from({ length: 50 }, () => cred.headers(signal()));
    release();
    const headers = await Promise.all(calls);
    expect(fake.seen).toHaveLength(1);
    expect(new Set(headers.map((h) => h.authorization))).toEqual(new Set(['Bearer access-token-1']));
    expect(fake.seen[0]).toMatchObject({ id: 'up#0', provider: 'up', type: 'oauth2', material: { refresh_token: 'refresh-token-0' }, metadata: {} });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ provider: 'up', type: 'oauth2', refresh_token: 'refresh-token-1' });
    // No temporary file left behind.
    expect(await readdir(dir)).toEqual(['cred.json']);
    // The next refresh gets the rotated token and the kept metadata.
    await cred.refresh();
    expect(fake.seen[1]).toMatchObject({ material: { refresh_token: 'refresh-token-1' }, metadata: { n: 1 } });
  });

  it('is due a third of its lifetime before expiry (at most 5 min), not before', async () => {
    const clock = { now: 0 };
    const { file } = await fileWith({});
    const fake = plugin(clock, 3_000);
    const cred = new RefreshingCredential(file, 'up#0', { refresh: fake.refresh, limiter: new Limiter(1), now: () => clock.now });
    expect(cred.due(clock.now)).toBe(true);
    await cred.refresh();
    expect(cred.due(1_999)).toBe(false);
    expect(cred.due(2_000)).toBe(true);
  });

  it('honours a preferred interval and a shorter lead from the plugin or the file', async () => {
    const clock = { now: 0 };
    const { file } = await fileWith({ refresh_interval_seconds: 10 });
    const fake = plugin(clock, 3_600_000);
    const cred = new RefreshingCredential(file, 'up#0', { refresh: fake.refresh, limiter: new Limiter(1), now: () => clock.now });
    await cred.refresh();
    expect(cred.due(9_999)).toBe(false);
    expect(cred.due(10_000)).toBe(true);
    const led = await fileWith({ refresh_lead_seconds: 60 });
    const leading = new RefreshingCredential(led.file, 'up#1', { refresh: fake.refresh, limiter: new Limiter(1), now: () => clock.now });
    await leading.refresh();
    // An hour's token, a minute's lead: due at 59 minutes, not at the default 55.
    expect(leading.due(55 * 60_000)).toBe(false);
    expect(leading.due(59 * 60_000)).toBe(true);
  });

  it('uses a token already in the file until it is due', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const { file } = await fileWith({ access_token: 'file-access-token', expires_at: '2026-01-01T01:00:00Z', refresh_token: 'r' });
    const fake = plugin(clock);
    const cred = new RefreshingCredential(file, 'up#0', { refresh: fake.refresh, limiter: new Limiter(1), now: () => clock.now });
    expect(await cred.headers(signal())).toEqual({ authorization: 'Bearer file-access-token' });
    expect(fake.seen).toHaveLength(0);
    expect(cred.due(clock.now)).toBe(false);
  });

  it('backs off after a failed refresh (1 s, then 2 s ...), is unavailable with the error meanwhile, and recovers', async () => {
    const clock = { now: 0 };
    const { file } = await fileWith({ refresh_token: 'refresh-token-0' });
    const fake = plugin(clock);
    const cred = new RefreshingCredential(file, 'up#0', { refresh: fake.refresh, limiter: new Limiter(1), now: () => clock.now });
    fake.failWith('token endpoint answered 400 invalid_grant for refresh-token-0');
    await expect(cred.headers(signal())).rejects.toMatchObject({ kind: 'auth' });
    // The error is kept, with the refresh token scrubbed from it.
    expect(cred.unavailable(clock.now)).toBe('token expired and its refresh failed: token endpoint answered 400 invalid_grant for [redacted]');
    expect(cred.view()).toMatchObject({ lastError: expect.stringContaining('invalid_grant'), retryAt: 1_000 });
    // No refresh per request while backing off.
    await expect(cred.headers(signal())).rejects.toMatchObject({ kind: 'auth' });
    expect(fake.seen).toHaveLength(1);
    expect(cred.due(999)).toBe(false);
    clock.now = 1_000;
    expect(cred.due(clock.now)).toBe(true);
    await cred.refresh();
    expect(cred.view().retryAt).toBe(1_000 + 2_000);
    clock.now = 3_000;
    fake.failWith(undefined);
    await cred.refresh();
    expect(cred.unavailable(clock.now)).toBeUndefined();
    expect(cred.view().lastError).toBeUndefined();
    expect(await cred.headers(signal())).toEqual({ authorization: 'Bearer access-token-3' });
  });

  it('a token refused by the upstream is refreshed once, however many calls were refused with it', async () => {
    const clock = { now: 0 };
    const { file } = await fileWith({});
    const fake = plugin(clock);
    const cred = new RefreshingCredential(file, 'up#0', { refresh: fake.refresh, limiter: new Limiter(1), now: () => clock.now });
    const used = await cred.headers(signal());
    await Promise.all(Array.from({ length: 10 }, () => cred.refused(used, signal())));
    expect(fake.seen).toHaveLength(2);
    expect(await cred.headers(signal())).toEqual({ authorization: 'Bearer access-token-2' });
    // A refusal of the old token after the new one is in hand changes nothing.
    await cred.refused(used, signal());
    expect(fake.seen).toHaveLength(2);
  });

  it('scrubs every token it handed out and the secrets of its file from text', async () => {
    const clock = { now: 0 };
    const { file } = await fileWith({ refresh_token: 'refresh-secret-0', client_secret: 'client-secret-0', token_url: 'http://127.0.0.1:1/token' });
    const cred = new RefreshingCredential(file, 'up#0', { refresh: plugin(clock).refresh, limiter: new Limiter(1), now: () => clock.now });
    await cred.headers(signal());
    expect(cred.redact('got access-token-1 with refresh-secret-0 and client-secret-0 from http://127.0.0.1:1/token')).toBe(
      'got [redacted] with [redacted] and [redacted] from http://127.0.0.1:1/token',
    );
  });
});

describe('parseExpiry', () => {
  it('reads RFC 3339, epoch seconds and epoch ms', () => {
    expect(parseExpiry('2026-01-01T00:00:00Z')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(parseExpiry(1_767_225_600)).toBe(1_767_225_600_000);
    expect(parseExpiry(1_767_225_600_000)).toBe(1_767_225_600_000);
    expect(parseExpiry('1767225600')).toBe(1_767_225_600_000);
    expect(parseExpiry('soon')).toBeUndefined();
  });
});
