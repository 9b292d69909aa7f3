/**
 * What the console's browser tests share: a gateway on the mock upstream with a named client
 * key, a management key, credentials that can be made to cool, a virtual model whose primary
 * can be skipped, and a plugin that can be made to crash; a headless Chromium driven by
 * playwright-core; and the login.
 */
import { type Browser, type Page, chromium } from 'playwright-core';
import { findChromium } from '../../scripts/ensure-chromium.mjs';
import { type TestHost, startHost } from '../helpers/host.js';
import { pluginsDir } from '../helpers/plugins.js';
import { within } from '../helpers/wait.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

export const MGMT = 'mgmt-console';
/** The client key every request of these tests uses; usage shows it by its name, `ci-bot`. */
export const CI_BOT = { name: 'ci-bot', key: 'sk-client-ci-bot' };
export const POOL_KEYS = ['sk-console-a', 'sk-console-b'];
export const SOLO_KEY = 'sk-console-solo';

export interface Setup {
  mock: MockUpstream;
  host: TestHost;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * A gateway with: provider `pool` (two keys, fill-first, so pool#0 serves while it can),
 * `solo` (one key: once it cools, its candidate is skipped) and `backup`; virtual model
 * `smart` = solo/gpt-4o then backup; the `router-exit` plugin (its worker exits on model
 * `trigger-exit`) with a restart delay long enough that only a reset brings it back.
 */
export async function setup(): Promise<Setup> {
  const mock = await startMockUpstream();
  const host = await startHost({
    managementKey: MGMT,
    apiKeys: [CI_BOT],
    routing: { strategy: 'fill-first' },
    providers: [
      { name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: POOL_KEYS, models: ['gpt-4.1', { name: 'gpt-4.1', alias: 'trigger-exit' }] },
      { name: 'solo', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: [SOLO_KEY], models: ['gpt-4o'] },
      { name: 'backup', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-console-backup'], models: ['claude-sonnet-4-6'] },
    ],
    models: { smart: { primary: 'solo/gpt-4o', fallbacks: ['backup/claude-sonnet-4-6'] } },
    plugins: { dir: await pluginsDir(['router-exit']), restartDelay: '10m' },
  });
  const executablePath = findChromium();
  if (!executablePath) throw new Error('No Chromium: run `node scripts/ensure-chromium.mjs` (npm test does) or set CHROMIUM_PATH');
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  return {
    mock,
    host,
    browser,
    page,
    async close() {
      await browser.close();
      await host.close();
      await mock.close();
    },
  };
}

/** One chat request as `ci-bot`; its status and request id. */
export async function chat(host: TestHost, model: string, extra: Record<string, unknown> = {}): Promise<{ status: number; id: string }> {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CI_BOT.key}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
  await res.arrayBuffer();
  return { status: res.status, id: res.headers.get('x-switchyard-request-id') ?? '' };
}

/** Opens the console and logs in the way a person does: the key in the password field, then Enter. */
export async function login(page: Page, host: TestHost): Promise<void> {
  await page.goto(`${host.url}/console`);
  const field = page.getByLabel('Management key');
  await field.fill(MGMT);
  await field.press('Enter');
  await page.getByRole('navigation').waitFor();
}

/** Clicks the navigation link named exactly `name`. */
export async function open(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
}

/** Polls the page until `check` holds (10 s bound, 50 ms steps: the page updates on live events and polls). */
export const eventually = (check: () => Promise<boolean> | boolean, ms = 10_000) => within(ms, check, 50);
