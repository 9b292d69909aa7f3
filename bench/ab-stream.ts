/**
 * `tsx bench/ab-stream.ts <other checkout> [client format]`: the CPU one ~300-event Chat
 * Completions upstream stream (the mock upstream's, as `npm run bench` streams it) costs the
 * host's stream path in process (SSE parsing, decoding, translation to the client's format,
 * `openai-responses` by default), this checkout's build against another's, in alternating
 * rounds. No sockets, no load generator and no other process share the measurement, so a
 * change of a few percent that `bench/ab.ts` cannot tell from this VM's noise shows here.
 * Framing the events as SSE text for the client is not included.
 */
import { resolve } from 'node:path';
import { startMockUpstream } from '../test/mock-upstream/index.js';
import { chatBody } from './body.js';
import type { FormatName } from '../host/src/formats/ir.js';
import type { WireFormat } from '../host/src/formats/wire-format.js';

type Build = {
  name: string;
  sseFlow: typeof import('../host/src/upstream/sse.js').sseFlow;
  translateStream: typeof import('../host/src/pipeline/translate.js').translateStream;
  Channel: typeof import('../host/src/streams/flow.js').Channel;
  collect: typeof import('../host/src/streams/flow.js').collect;
  formats: Readonly<Record<FormatName, WireFormat>>;
};

const other = process.argv[2];
if (!other) throw new Error('usage: tsx bench/ab-stream.ts <other checkout> [client format]');
const client = (process.argv[3] ?? 'openai-responses') as FormatName;

async function load(root: string, name: string): Promise<Build> {
  const dist = (path: string) => import(resolve(root, 'host/dist', path));
  return {
    name,
    sseFlow: (await dist('upstream/sse.js')).sseFlow,
    translateStream: (await dist('pipeline/translate.js')).translateStream,
    Channel: (await dist('streams/flow.js')).Channel,
    collect: (await dist('streams/flow.js')).collect,
    formats: (await dist('formats/index.js')).FORMATS,
  };
}

/**
 * The upstream's bytes, three events a socket read: the mock upstream's own answer to the
 * bench's streamed request (one word an event, ~300 events, the finish, usage and `[DONE]`).
 */
async function upstreamReads(): Promise<Buffer[]> {
  const mock = await startMockUpstream();
  try {
    const body = JSON.parse(chatBody('gpt-4.1', true)) as Record<string, unknown>;
    const res = await fetch(`${mock.baseUrl('openai')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-upstream' },
      body: JSON.stringify({ ...body, stream_options: { include_usage: true } }),
    });
    if (res.status !== 200) throw new Error(`the mock upstream answered ${res.status}`);
    const events = (await res.text()).split(/(?<=\n\n)/);
    const reads: Buffer[] = [];
    for (let i = 0; i < events.length; i += 3) reads.push(Buffer.from(events.slice(i, i + 3).join('')));
    return reads;
  } finally {
    await mock.close();
  }
}

const reads = await upstreamReads();

async function stream(b: Build): Promise<void> {
  const body = new b.Channel<Buffer>();
  const events = b.translateStream(b.sseFlow(body), b.formats[client], b.formats.openai, new AbortController().signal);
  const done = b.collect(events);
  for (const read of reads) body.push([read]);
  body.end();
  await done;
}

const builds = [await load(other, `other (${other})`), await load(new URL('..', import.meta.url).pathname, 'this checkout')];
for (const b of builds) for (let i = 0; i < 300; i++) await stream(b);
const ROUNDS = 8;
const PER_ROUND = 300;
const perStream = builds.map((): number[] => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, b] of builds.entries()) {
    const before = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) await stream(b);
    const spent = process.cpuUsage(before);
    perStream[k]!.push((spent.user + spent.system) / PER_ROUND);
  }
}
for (const [k, b] of builds.entries()) {
  const sorted = perStream[k]!.sort((x, y) => x - y);
  process.stdout.write(`${b.name.padEnd(40)} ${sorted[ROUNDS >> 1]!.toFixed(0).padStart(6)} µs CPU per stream (median of ${ROUNDS} rounds; best ${sorted[0]!.toFixed(0)})\n`);
}
