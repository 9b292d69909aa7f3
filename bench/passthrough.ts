/**
 * The practical ceiling for a Node gateway: a bare fastify + undici pass-through that parses the
 * body, re-serialises it and relays the answer (streams piped). Prints `{"url": ...}` when ready.
 */
import Fastify from 'fastify';
import { Agent } from 'undici';

const upstream = new URL(process.argv[2]!);
const agent = new Agent({ keepAliveTimeout: 30_000 });
const app = Fastify({ bodyLimit: 20 * 1024 * 1024 });
app.post('/v1/chat/completions', async (req, reply) => {
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
