/**
 * The test mock upstream as a process of its own, so it does not share the bench's or the
 * host's event loop. Prints `{"url": ...}` on stdout once listening.
 */
import { startMockUpstream } from '../test/mock-upstream/index.js';

const chunkDelayMs = Number(process.argv[2] ?? 0);
const mock = await startMockUpstream({ chunkDelayMs });
process.stdout.write(`${JSON.stringify({ url: mock.url })}\n`);
process.on('SIGTERM', () => void mock.close().then(() => process.exit(0)));
