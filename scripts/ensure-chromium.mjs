#!/usr/bin/env node
/**
 * Makes sure a Chromium exists for the console's browser tests (playwright-core drives it;
 * it brings no browser of its own, and downloading one is not how this project gets it).
 * Looks at CHROMIUM_PATH, /usr/bin/chromium and /usr/bin/chromium-browser; when none is
 * there, installs Debian's `chromium` package with apt-get (as root), running `apt-get
 * update` first only if the plain install fails (a fresh machine's package lists may be
 * empty or stale). Exits 1 with what to do when it cannot.
 *
 * Imported by the tests for {@link findChromium}; run by `npm test` before vitest.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where Debian's packages (and Ubuntu's older one) put the browser. */
export const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to use: `CHROMIUM_PATH` when set (and executable), else the first of {@link CANDIDATES} present; undefined if none. */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return CANDIDATES.find(executable);
}

function run(command, args) {
  console.error(`ensure-chromium: running ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.error) console.error(`ensure-chromium: ${command}: ${result.error.message}`);
  return result.status === 0;
}

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

function main() {
  const found = findChromium();
  if (found) {
    console.error(`ensure-chromium: using ${found}`);
    return;
  }
  if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH is set to ${process.env.CHROMIUM_PATH}, which is not an executable file. Point it at a Chromium binary, or unset it to use Debian's chromium package.`);
  console.error(`ensure-chromium: no Chromium found (CHROMIUM_PATH unset; ${CANDIDATES.join(', ')} missing); the console's browser tests need one.`);
  if (process.platform !== 'linux' || !executable('/usr/bin/apt-get'))
    fail('cannot install it here (no apt-get). Install Chromium and set CHROMIUM_PATH to its binary, then run the tests again.');
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    fail('installing it needs root: run `sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary, then run the tests again.');
  console.error("ensure-chromium: installing Debian's chromium package");
  if (!run('apt-get', ['install', '-y', 'chromium'])) {
    console.error('ensure-chromium: the install failed; refreshing the package lists and trying again');
    if (!run('apt-get', ['update']) || !run('apt-get', ['install', '-y', 'chromium']))
      fail('apt-get could not install chromium. Install it yourself (`apt-get install chromium`) or set CHROMIUM_PATH to a Chromium binary.');
  }
  const installed = findChromium();
  if (!installed) fail(`apt-get installed chromium but none of ${CANDIDATES.join(', ')} exists; set CHROMIUM_PATH to its binary.`);
  console.error(`ensure-chromium: installed ${installed}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
