/**
 * A mock of the OpenAI, Anthropic and Gemini HTTP APIs for Switchyard's integration tests:
 * real wire formats (SSE included), deterministic replies, recorded requests and switchable
 * faults. Start it with {@link startMockUpstream} and point providers at `baseUrl(format)`.
 *
 * @module
 */

export { startMockUpstream } from './server.js';
export type { Fault, MockFormat, MockUpstream, RecordedRequest } from './types.js';
