/**
 * The upstream exchange against a raw TCP server on loopback, so each test decides what arrives
 * in one socket read: status and headers, the body as batches (one per read), back-pressure,
 * a cut body, a reader cancelling, and aborts before and after the headers; and the same for an
 * answer read whole.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Flow } from '../streams/flow.js';
import { bodyText, exchange, exchangeText } from './exchange.js';

let server: Server;
let agent: Agent;
let origin: string;
/** Told the server side of the next request's connection once its head has arrived. */
let accept: ((socket: Socket) => void) | undefined;
const nextRequest = () => new Promise<Socket>((resolve) => (accept = resolve));

beforeEach(async () => {
  server = createServer((socket) => {
    let head = '';
    const onData = (data: Buffer) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      accept?.(socket);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent();
});

afterEach(async () => {
  await agent.destroy();
  server.close();
});

const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-ratelimit-remaining-requests: 7\r\ntransfer-encoding: chunked\r\n\r\n';
/** One chunk of a chunked body. */
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const LAST = '0\r\n\r\n';

/** Sends a request (read whole with `exchangeText`, else as a flow); resolves with its answer and the server's side of its connection. */
async function send<R = Awaited<ReturnType<typeof exchange>>>(signal = new AbortController().signal, how: typeof exchange | typeof exchangeText = exchange) {
  const socket = nextRequest();
  const answer = how(agent, { origin, path: '/x', method: 'POST', body: '{}' }, signal) as Promise<R>;
  // Settled by the test (after the socket answers), never left unhandled meanwhile.
  answer.catch(() => undefined);
  return { answer, socket: await socket };
}

/** Every batch of `body` as text, until it ends or fails. */
function batches(body: Flow<Buffer>): { seen: string[][]; done: Promise<string> } {
  const seen: string[][] = [];
  const done = new Promise<string>((resolve) => body.start({ batch: (items) => seen.push(items.map(String)), end: () => resolve('end'), fail: (err) => resolve(`failed: ${(err as Error).message}`) }));
  return { seen, done };
}

describe('exchange', () => {
  it('resolves with the status and headers, and reads the body as text', async () => {
    const { answer, socket } = await send();
    socket.end(`${HEAD}${chunk('héllo ')}${chunk('wörld')}${LAST}`);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('7');
    expect(await bodyText(res.body)).toBe('héllo wörld');
  });

  it('hands over the HTTP chunks of one socket read as one batch', async () => {
    const { answer: sent, socket } = await send();
    socket.write(HEAD);
    const { seen, done } = batches((await sent).body);
    socket.write(`${chunk('a')}${chunk('b')}${chunk('c')}`);
    await sleep(50);
    socket.end(`${chunk('d')}${LAST}`);
    expect(await done).toBe('end');
    expect(seen).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('stops reading the socket while paused, and hands over what was held on resume', async () => {
    const { answer: sent, socket } = await send();
    socket.write(HEAD);
    const { body } = await sent;
    const { seen, done } = batches(body);
    body.pause();
    // Far more than loopback's socket buffers hold: the server is left holding the rest.
    const big = 'x'.repeat(16 * 1024 * 1024);
    socket.end(`${chunk('a')}${chunk(big)}${LAST}`);
    await sleep(100);
    expect(socket.writableLength).toBeGreaterThan(0);
    const held = seen.length;
    body.resume();
    expect(await done).toBe('end');
    expect(seen.length).toBeGreaterThan(held);
    expect(seen.flat().join('')).toBe(`a${big}`);
  });

  it('holds a body nobody has started reading like a paused one', async () => {
    const { answer, socket } = await send();
    socket.write(HEAD);
    const { body } = await answer;
    const big = 'x'.repeat(16 * 1024 * 1024);
    socket.end(`${chunk(big)}${LAST}`);
    await sleep(100);
    expect(socket.writableLength).toBeGreaterThan(0);
    expect(await bodyText(body)).toBe(big);
  });

  it('fails the body when the upstream cuts it short', async () => {
    const { answer: sent, socket } = await send();
    socket.write(`${HEAD}${chunk('a')}`);
    const { done } = batches((await sent).body);
    await sleep(20);
    socket.destroy();
    expect(await done).toMatch(/^failed: /);
  });

  it('closes the connection when its reader cancels the body', async () => {
    const { answer: sent, socket } = await send();
    socket.write(`${HEAD}${chunk('a')}`);
    const { body } = await sent;
    batches(body);
    body.cancel();
    await once(socket, 'close');
  });

  it("rejects with the signal's reason when aborted before the headers, and fails the body with it after", async () => {
    const before = new AbortController();
    const early = await send(before.signal);
    before.abort(new Error('client left'));
    await expect(early.answer).rejects.toThrow('client left');

    const after = new AbortController();
    const late = await send(after.signal);
    late.socket.write(HEAD);
    const { done } = batches((await late.answer).body);
    after.abort(new Error('client left later'));
    expect(await done).toBe('failed: client left later');
  });

  it('rejects at once when the signal was aborted before the call', async () => {
    const signal = AbortSignal.abort(new Error('already gone'));
    await expect(exchange(agent, { origin, path: '/x', method: 'GET' }, signal)).rejects.toThrow('already gone');
  });
});

describe('exchangeText', () => {
  const sendText = (signal?: AbortSignal) => send<Awaited<ReturnType<typeof exchangeText>>>(signal, exchangeText);

  it('resolves once the body ended, with the status, the headers and the text of every read', async () => {
    const { answer, socket } = await sendText();
    // A character split between two reads still decodes whole.
    const [first, second] = [Buffer.from('{"a":"hé'), Buffer.from('llo wörld"}')];
    socket.write(`${HEAD}${first.length.toString(16)}\r\n`);
    socket.write(first.subarray(0, first.length - 1));
    await sleep(20);
    socket.write(Buffer.concat([first.subarray(first.length - 1), Buffer.from('\r\n')]));
    socket.end(`${chunk(second.toString())}${LAST}`);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('7');
    expect(res.text).toBe('{"a":"héllo wörld"}');
  });

  it('rejects when the upstream cuts a 2xx body short', async () => {
    const { answer, socket } = await sendText();
    socket.write(`${HEAD}${chunk('{"a":')}`);
    await sleep(20);
    socket.destroy();
    await expect(answer).rejects.toThrow();
  });

  it('resolves with what came of an error answer cut short: its status says what went wrong', async () => {
    const { answer, socket } = await sendText();
    socket.write(`HTTP/1.1 503 Service Unavailable\r\ncontent-length: 100\r\n\r\n{"error":`);
    await sleep(20);
    socket.destroy();
    expect(await answer).toMatchObject({ status: 503, text: '{"error":' });
  });

  it("rejects with the signal's reason when aborted before the headers or in the body, an error answer's too", async () => {
    for (const head of ['', HEAD, 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 100\r\n\r\n{']) {
      const controller = new AbortController();
      const { answer, socket } = await sendText(controller.signal);
      if (head) socket.write(head);
      await sleep(20);
      controller.abort(new Error('client left'));
      await expect(answer).rejects.toThrow('client left');
    }
  });

  it('rejects at once when the signal was aborted before the call', async () => {
    const signal = AbortSignal.abort(new Error('already gone'));
    await expect(exchangeText(agent, { origin, path: '/x', method: 'GET' }, signal)).rejects.toThrow('already gone');
  });
});
