/**
 * A mock of the OpenAI, Anthropic and Gemini HTTP APIs, and of Vertex AI serving Gemini and
 * Claude models, for Switchyard's integration tests: real wire formats (SSE included),
 * deterministic replies, recorded requests and switchable faults. Start it with
 * {@link startMockUpstream} and point providers at `baseUrl(format)`, or at `vertexBaseUrl`
 * for a provider on Vertex AI.
 *
 * @module
 */

export { startMockUpstream } from './server.js';
export { VERTEX_ANTHROPIC_VERSION } from './vertex.js';
export type { Fault, MockFormat, MockUpstream, RecordedRequest } from './types.js';
