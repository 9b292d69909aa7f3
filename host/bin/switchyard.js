#!/usr/bin/env -S node --no-memory-reducer --no-allocation-site-pretenuring --max-semi-space-size=32
/**
 * The `switchyard` command as npm links it (node_modules/.bin/switchyard). This file is
 * committed, not built: npm links a package's bin at install time and skips one whose file does
 * not exist yet, which is what happened while the bin was dist/cli/main.js.
 *
 * In a source checkout it first makes sure host/dist is current: when dist is missing, older than
 * a source or tsconfig, or its last build had errors, it runs `tsc -b` (its output on stderr, so a
 * command's stdout stays clean) and then runs the command, as `npm start`, `cargo run` or `go run` would, rather than
 * running stale code or refusing. A failed build exits 1 with tsc's errors.
 *
 * Node runs it with `--no-memory-reducer` (the shebang; `npm start` executes this file, and
 * `serve --workers` forks its workers with the same flags). The memory reducer collects the heap
 * of a process it finds idle, and a gateway pays for that when traffic returns: after 20 s idle
 * V8 optimised ~600 of the host's functions again (`--trace-opt`), and a Responses host spent
 * 700-800 µs of CPU a request in the 3 s burst after the pause against 450 in the next one; with
 * the flag, 420 against 400 (bench/NOTES.md, ninth session). The price: an idle gateway keeps the
 * heap its last burst grew instead of returning it (~80 MB after the bench's Responses traffic).
 *
 * And with `--no-allocation-site-pretenuring`. V8 watches the object and array literals of each
 * place in the code, and once nearly all those it made lately outlived a young-generation GC it
 * makes that place's objects in the old generation from then on. A gateway's requests are short
 * but many are in flight at each GC, so now and then a place whose objects die young is picked;
 * its dead objects then sit in the old generation until the next full GC, and the young-generation
 * GC keeps alive, and promotes, all they point at: request bodies, parsed answers. Whether it
 * happens is a lottery per process: under the same load, one host promoted 0.6 KB a request and
 * the next 3.8; without the flag, 0.8-1.8 KB in every run, and the young-generation GC's pauses
 * of a translated request went from 12-34 µs to 11-18 (bench/NOTES.md, fourteenth session).
 *
 * And with a young generation of up to 2 x 32 MB instead of 2 x 16: a request allocates 45-80 KB,
 * so at a few thousand a second the young generation fills every few tens of milliseconds, and
 * each young-generation GC copies the requests then in flight. Twice the room, half as many of
 * them: the GC's pauses came to 6.4-6.9 µs a Chat Completions request against 9.1-10.2, and
 * 9.0-9.3 against 13.0-17.5 for Responses to an Anthropic upstream. The price: up to 32 MB more
 * RSS a process under load (bench/NOTES.md, fourteenth session). 64 MB bought nothing more: each
 * GC then also copies what the requests since the last one keep for a while (decision traces,
 * stored responses' entries), which grows with the room (fifteenth session).
 *
 * NODE_OPTIONS takes neither of the first two flags; without this file run
 * `node --no-memory-reducer --no-allocation-site-pretenuring --max-semi-space-size=32 host/dist/cli/main.js`.
 *
 * `serve` also gets two fixes for running under npm (see {@link stopSignalsOnce} and
 * {@link stopWithParent}). Cluster workers (`serve --workers`) start from this file too, and
 * take none of this: their primary has checked the build and stops them itself.
 */
import { spawnSync } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const host = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(host);
const main = join(host, 'dist', 'cli', 'main.js');

if (cluster.isPrimary) {
  buildIfStale();
  if (process.argv[2] === 'serve') {
    const stopping = stopSignalsOnce();
    stopWithParent(stopping);
  }
}
await import(pathToFileURL(main).href);

/** Runs `tsc -b` when host/dist is missing or older than its inputs; exits 1 if that fails. */
function buildIfStale() {
  const reason = staleness();
  if (reason === undefined) return;
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    fail(`${reason}, and TypeScript is not installed to build it: run \`npm install\` in ${root}`);
  }
  process.stderr.write(`switchyard: ${reason}; building it first (npx tsc -b)...\n`);
  const build = spawnSync(process.execPath, [tsc, '-b', join(root, 'tsconfig.json')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) fail(`the build failed${build.error ? `: ${build.error.message}` : ' (errors above)'}; fix it and run the command again`);
}

/** Why host/dist needs a build, or undefined when it is current (or there are no sources to build). */
function staleness() {
  const buildInfo = join(host, 'dist', '.tsbuildinfo');
  const stamp = mtime(buildInfo);
  if (stamp === undefined || mtime(main) === undefined) return 'host/dist is missing';
  // tsc emits despite type errors and records them here, so the next `tsc -b` reports them again.
  if (/"(semantic|emit)DiagnosticsPerFile"|"errors":\s*true/.test(readFileSync(buildInfo, 'utf8'))) return 'the last build of host/dist had errors';
  // tsc -b stamps .tsbuildinfo on every build, even one that only found sources touched but unchanged.
  const inputs = ['tsconfig.json', 'tsconfig.base.json', 'host/tsconfig.json', 'plugin-sdk/tsconfig.json'].map((file) => join(root, file));
  for (const dir of ['host/src', 'plugin-sdk/src']) {
    let names;
    try {
      names = readdirSync(join(root, dir), { recursive: true });
    } catch {
      return undefined; // an install without sources: run what is there
    }
    // The tsconfigs' include and exclude: tests are not built, so they cannot make dist stale.
    for (const name of names) if (/\.[mc]?tsx?$/.test(name) && !/\.test(-suite)?\.ts$/.test(name)) inputs.push(join(root, dir, name));
  }
  const newer = inputs.find((file) => (mtime(file) ?? 0) > stamp);
  return newer === undefined ? undefined : `host/dist is older than ${newer.slice(root.length + 1)}`;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function fail(message) {
  process.stderr.write(`switchyard: ${message}\n`);
  process.exit(1);
}

/**
 * `npm start` is `tsc -b && exec host/bin/switchyard.js serve` (the shebang execs node in turn).
 * npm runs a script with /bin/sh and passes a SIGTERM or SIGINT it gets on to that shell only;
 * Debian's dash does not replace itself with a script's last command nor forward signals, so
 * without `exec` a SIGTERM kills the shell, npm exits, and the gateway keeps running and holding
 * its port, and a SIGINT does nothing at all (dash waits for its child). With `exec` the gateway
 * is npm's child: npm signals it and waits for its drain, which is what a service manager
 * stopping `npm start` needs.
 * (Watching the parent instead, below, stops the gateway too, but only after npm has exited.)
 *
 * But npm forwards a signal the gateway may already have: a terminal's Ctrl-C goes to the whole
 * process group, as does systemd's default stop, so the gateway gets it twice a few milliseconds
 * apart, and serve takes a second signal as "stop now, skip the drain". So a SIGINT or SIGTERM
 * within a second of the first is taken as the same request: for that second the other listeners
 * are detached, then put back, so a second Ctrl-C after that still stops at once.
 *
 * @returns whether a stop signal has arrived
 */
function stopSignalsOnce() {
  const signals = ['SIGINT', 'SIGTERM'];
  let stopped = false;
  let detached;
  const onSignal = (signal) => {
    if (detached) return; // the same request, forwarded
    if (process.listenerCount(signal) === 1) {
      // serve has not started listening yet: the signal's default action, as without this file.
      for (const s of signals) process.removeListener(s, onSignal);
      process.kill(process.pid, signal);
      return;
    }
    stopped = true;
    detached = signals.flatMap((s) => process.listeners(s).filter((l) => l !== onSignal).map((l) => [s, l]));
    // The emit under way has already copied its listener list: serve still gets this signal.
    for (const [s, l] of detached) process.removeListener(s, l);
    setTimeout(() => {
      for (const [s, l] of detached) process.on(s, l);
      detached = undefined;
    }, 1000).unref();
  };
  for (const s of signals) process.prependListener(s, onSignal);
  return () => stopped;
}

/**
 * Under npm (`npx switchyard serve`, or an npm script without `exec`) a shell sits between npm and
 * the gateway and dies of the SIGTERM npm forwards without passing it on; and npm itself may be
 * killed outright. Either way the gateway is handed to another parent: then it stops as on
 * SIGTERM, unless a signal of its own already stops it. Only under npm: a gateway started from a
 * shell with `&` or nohup is meant to outlive that shell.
 */
function stopWithParent(stopping) {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid; // read anew on every access
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    if (!stopping()) process.kill(process.pid, 'SIGTERM');
  }, 500);
  timer.unref();
}
