/**
 * The test mock upstream as a process of its own, so it does not share the bench's or the
 * host's event loop. Prints `{"url": ...}` on stdout once listening.
 */
import { startMockUpstream } from '../test/mock-upstream/index.js';

const chunkDelayMs = Number(process.argv[2] ?? 0);
// Not recording: over a whole bench run the mock serves millions of requests, and kept they fill its heap.
const mock = await startMockUpstream({ chunkDelayMs, record: false });
process.stdout.write(`${JSON.stringify({ url: mock.url })}\n`);
process.on('SIGTERM', () => void mock.close().then(() => process.exit(0)));
