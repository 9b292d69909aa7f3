/**
 * The operator console in a real headless Chromium (playwright-core): log in with the
 * management key; a credential that got a 429 shows "cooling" with a countdown that goes down;
 * its Reset button makes it active; a crashed plugin shows "fused" and its Reset brings it back;
 * a request in the live log opens its trace with the skipped candidate and why; the usage chart
 * shows the requests just made under the client key's name; a refused key brings the login back.
 */
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CI_BOT, POOL_KEYS, SOLO_KEY, type Setup, chat, eventually, login, open, setup } from './harness.js';

let s: Setup;
/** Requests made as ci-bot so far: the usage page must count at least these. */
let made = 0;
const send = async (model: string) => {
  made++;
  return chat(s.host, model);
};

beforeAll(async () => {
  s = await setup();
});
afterAll(async () => {
  await s?.close();
});

const row = (table: string, key: string): Locator => s.page.locator(`table[aria-label="${table}"] tr[data-key="${key}"]`);
const text = (locator: Locator) => locator.innerText();
/** Seconds in a countdown's text: `45s`, `1m 05s`. */
const seconds = (shown: string): number => {
  const m = /^(?:(\d+)m )?(\d+)s$/.exec(shown);
  if (!m) throw new Error(`not a countdown: ${shown}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
};

describe('operator console', () => {
  it('logs in with the management key (Enter submits) and the Credentials page lists every credential', async () => {
    await login(s.page, s.host);
    await open(s.page, 'Credentials');
    expect(new URL(s.page.url()).pathname).toBe('/console/credentials');
    for (const id of ['pool#0', 'pool#1', 'solo#0', 'backup#0']) await row('Credentials', id).waitFor();
    expect(await text(row('Credentials', 'pool#0'))).toContain('active');
    // The key is kept for the tab only, and no secret is on the page.
    expect(await s.page.evaluate(() => sessionStorage.getItem('switchyard.managementKey'))).toBe('mgmt-console');
    expect(await s.page.content()).not.toContain('sk-console');
  });

  it('shows a credential cooling after a 429, with a countdown that goes down', async () => {
    s.mock.fault({ key: POOL_KEYS[0], kind: 'status', status: 429, retryAfter: '60', times: 1 });
    expect((await send('gpt-4.1')).status).toBe(200);
    const pool0 = row('Credentials', 'pool#0');
    await eventually(async () => (await text(pool0)).includes('cooling'));
    expect(await text(pool0)).toMatch(/quota/);
    // The last error column: the upstream's status and message.
    expect(await text(pool0)).toMatch(/429: /);
    const countdown = pool0.locator('.countdown');
    const first = Number(await countdown.getAttribute('data-seconds'));
    expect(first).toBeGreaterThan(45);
    expect(first).toBeLessThanOrEqual(60);
    const shown = seconds(await text(countdown));
    expect(shown).toBeGreaterThan(45);
    // The shared tick moves it on: the visible text goes down.
    await eventually(async () => seconds(await text(countdown)) < shown, 5000);
    expect(Number(await countdown.getAttribute('data-seconds'))).toBeLessThan(first);
  });

  it('its Reset button makes it active again', async () => {
    const pool0 = row('Credentials', 'pool#0');
    await pool0.getByRole('button', { name: 'Reset', exact: true }).click();
    await eventually(async () => !(await text(pool0)).includes('cooling'));
    expect(await text(pool0)).toContain('active');
    expect(await pool0.locator('.countdown').count()).toBe(0);
  });

  it('shows a crashed plugin fused on the Plugins page, and its Reset brings it back active', async () => {
    await open(s.page, 'Plugins');
    const plugin = row('Plugins', 'router-exit');
    await plugin.waitFor();
    expect(await text(plugin)).toContain('active');
    await send('trigger-exit');
    await eventually(async () => (await text(plugin)).includes('fused'));
    expect(await text(plugin)).toMatch(/crash|exit/i);
    await plugin.getByRole('button', { name: 'Reset', exact: true }).click();
    await eventually(async () => (await text(plugin)).includes('active'));
    expect(await text(plugin)).not.toContain('fused');
  });

  it('opens the trace of a request in the live log, with the skipped candidate and why', async () => {
    await open(s.page, 'Requests');
    await s.page.locator('table[aria-label="Requests"]').waitFor();
    // solo#0 answers 429: the first request falls back to backup, and solo cools for 60 s.
    s.mock.fault({ key: SOLO_KEY, kind: 'status', status: 429, retryAfter: '60', times: 1 });
    expect((await send('smart')).status).toBe(200);
    // The next one skips solo/gpt-4o without calling it.
    const { status, id } = await send('smart');
    expect(status).toBe(200);
    const entry = row('Requests', id);
    await entry.waitFor({ timeout: 10_000 }); // prepended from the live event
    expect(await text(entry)).toContain('backup');
    await entry.click();
    const trace = s.page.getByRole('article', { name: 'Request trace' });
    await trace.waitFor();
    await eventually(async () => (await text(trace)).includes(id));
    const candidates = trace.locator('ol.candidates > li');
    expect(await candidates.count()).toBe(2);
    const skipped = await text(candidates.nth(0));
    expect(skipped).toContain('solo/gpt-4o');
    expect(skipped).toMatch(/skipped: cooling until \d{1,2}:\d{2}:\d{2}/);
    expect(skipped).toMatch(/solo#0\s+cooling\s+cooling until .*quota/);
    expect(await text(candidates.nth(1))).toContain('backup/claude-sonnet-4-6');
    expect(await text(trace)).toMatch(/picked\s+backup#0: the only ready credential/i);
    expect(new URL(s.page.url()).pathname).toBe(`/console/requests/${id}`);
  });

  it("shows the usage chart with the requests just made under the client key's name", async () => {
    await open(s.page, 'Usage');
    const group = s.page.getByRole('region', { name: 'By client key' }).locator(`.group[data-key="${CI_BOT.name}"]`);
    await group.waitFor();
    expect(await text(group.locator('.group-key'))).toBe('ci-bot');
    // Usage lands in the store as requests end; the page refreshes on demand.
    await eventually(async () => {
      const n = Number((await text(group.locator('.group-requests'))).replace(/\D/g, ''));
      if (n >= made) return true;
      await s.page.getByRole('button', { name: 'Refresh' }).click();
      return false;
    });
    const bars = await group.locator('rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
    expect(bars.some((h) => h > 0)).toBe(true);
    expect(await text(s.page.getByRole('region', { name: 'By model' }))).toContain('gpt-4.1');
  });

  it('goes back to the login when the host refuses the key', async () => {
    await s.page.evaluate(() => sessionStorage.setItem('switchyard.managementKey', 'not-the-key'));
    await open(s.page, 'Credentials');
    await s.page.getByLabel('Management key').waitFor();
    expect(await text(s.page.getByRole('alert'))).toContain('refused');
    expect(await s.page.evaluate(() => sessionStorage.getItem('switchyard.managementKey'))).toBeNull();
  });
});
