/**
 * `npm run screenshots`: a screenshot of every console page for the README (docs/console/*.png),
 * taken in headless Chromium from a gateway with some traffic: a cooling credential, a
 * fallback past a skipped candidate, a stream, a crashed plugin, an unknown model. A script,
 * not a test: a test run never rewrites committed files. `npm test` checks the pages themselves
 * (test/console/console.test.ts).
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MGMT, POOL_KEYS, SOLO_KEY, chat, eventually, open, setup } from '../test/console/harness.js';

const OUT = fileURLToPath(new URL('../docs/console/', import.meta.url));

const s = await setup();
const shoot = (name: string) => s.page.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
try {
  await mkdir(OUT, { recursive: true });
  const { page, host, mock } = s;
  for (let i = 0; i < 12; i++) await chat(host, 'gpt-4.1');
  await chat(host, 'gpt-4.1', { stream: true, stream_options: { include_usage: true } });
  await chat(host, 'no-such-model');
  mock.fault({ key: POOL_KEYS[0], kind: 'status', status: 429, retryAfter: '300', times: 1 });
  await chat(host, 'gpt-4.1');
  mock.fault({ key: SOLO_KEY, kind: 'status', status: 429, retryAfter: '120', times: 1 });
  await chat(host, 'smart');
  const { id } = await chat(host, 'smart');
  await chat(host, 'trigger-exit');

  await page.goto(`${host.url}/console`);
  await page.getByLabel('Management key').fill(MGMT);
  await shoot('login');
  await page.getByLabel('Management key').press('Enter');
  await page.getByRole('navigation').waitFor();
  await eventually(async () => (await page.locator('.tile-value').first().innerText()) !== '—');
  await page.waitForTimeout(500);
  await shoot('overview');

  await open(page, 'Credentials');
  await page.locator('.countdown').first().waitFor();
  await shoot('credentials');

  await open(page, 'Models');
  await page.getByRole('table', { name: 'Models', exact: true }).waitFor();
  await page.getByRole('table', { name: 'Virtual models', exact: true }).waitFor();
  await shoot('models');

  await open(page, 'Plugins');
  await eventually(async () => (await page.locator('table[aria-label="Plugins"]').innerText()).includes('fused'));
  await shoot('plugins');

  await open(page, 'Requests');
  await page.locator(`tr[data-key="${id}"]`).click();
  await page.getByRole('article', { name: 'Request trace' }).waitFor();
  await shoot('requests');

  await open(page, 'Usage');
  await page.locator('.group').first().waitFor();
  await shoot('usage');

  await open(page, 'Explain');
  await page.locator('#explain-body').fill(JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }] }, null, 2));
  await page.getByRole('button', { name: 'Explain', exact: true }).click();
  await page.getByRole('article', { name: 'Plan' }).waitFor();
  await shoot('explain');

  await open(page, 'Config');
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByRole('status').waitFor();
  await shoot('config');
} finally {
  await s.close();
}
