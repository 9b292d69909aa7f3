/**
 * The practical ceiling for a Node gateway: a bare fastify + undici pass-through that parses the
 * body, re-serialises it and relays the answer (streams piped). Prints `{"url": ...}` when ready.
 * With `--hop` it first makes one bare worker round trip per request (a piscina worker answering
 * the router request at once, `floor-worker.mjs`): the floor of a plugin hop inside a serving
 * process, where wake-ups cost more than in a process that does nothing else.
 */
import Fastify from 'fastify';
import { Piscina } from 'piscina';
import { Agent } from 'undici';

const upstream = new URL(process.argv[2]!);
const hop = process.argv.includes('--hop')
  ? new Piscina({ filename: new URL('./floor-worker.mjs', import.meta.url).href, minThreads: 1, maxThreads: 1, idleTimeout: Infinity, atomics: 'disabled', concurrentTasksPerWorker: 32 })
  : undefined;
const agent = new Agent({ keepAliveTimeout: 30_000 });
const app = Fastify({ bodyLimit: 20 * 1024 * 1024 });
app.post('/v1/chat/completions', async (req, reply) => {
  if (hop) {
    const params = { requestId: 'bench', sourceFormat: 'openai', requestedModel: 'gpt-4.1', stream: false, headers: req.headers, query: {}, body: req.body, availableProviders: ['openai'] };
    await hop.run({ request: { jsonrpc: '2.0', id: 1, method: 'model.route', params } });
  }
  const res = await agent.request({
    origin: upstream.origin,
    path: `${upstream.pathname}/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-upstream' },
    body: JSON.stringify(req.body),
  });
  reply.code(res.statusCode).header('content-type', String(res.headers['content-type']));
  return reply.send(res.body);
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` })}\n`);
