/**
 * Loaded with `--import` into a process `bench/profile.ts` profiles: SIGUSR2 starts a CPU profile
 * of the main thread (100 µs sampling), the next one stops it and writes it to
 * `$BENCH_PROFILE_DIR/<pid>-<n>.cpuprofile` (a flame graph in Chrome DevTools or speedscope).
 * In-process, so the bench needs no inspector client, and the profile covers exactly the slice
 * of load between the two signals.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (!dir) throw new Error('bench/profiler.mjs needs BENCH_PROFILE_DIR');
const session = new Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 100 });

let written = 0;
let running = false;

/** Starts a profile, or stops the running one and writes it. */
async function toggle() {
  running = !running;
  if (running) return void (await post('Profiler.start'));
  const { profile } = await post('Profiler.stop');
  // Written under a temporary name and renamed, so the bench never reads half a file.
  const file = join(dir, `${process.pid}-${written++}.cpuprofile`);
  writeFileSync(`${file}.part`, JSON.stringify(profile));
  renameSync(`${file}.part`, file);
}

// A failed profile is the bench's to notice (no file comes); the profiled process goes on serving.
process.on('SIGUSR2', () => toggle().catch((err) => process.stderr.write(`bench/profiler.mjs: ${err.message}\n`)));
