import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../protocol.js';
import type { MessagePort } from 'node:worker_threads';
import {
  buildSdk,
  call,
  callWithPort,
  destroyPools,
  errorOf,
  executorRequest,
  resultOf,
  routeRequest,
  startPool,
  waitFor,
  type PortMessage,
  type TestPool,
} from './harness.test-suite.js';

let basic: TestPool;

beforeAll(() => {
  buildSdk();
  basic = startPool('basic.mjs');
});
afterAll(destroyPools);

const cancel = { jsonrpc: '2.0', method: '$/cancel' };
/** Plays the host side of a call's port: `onMessage` sees each message the worker posts. */
const host = (onMessage: (message: PortMessage, port: MessagePort) => void) => (port: MessagePort) =>
  port.on('message', (message: PortMessage) => onMessage(message, port));
const chunks = (messages: PortMessage[]) =>
  messages.filter((message) => message.method === 'stream.chunk').map((message) => (message.params as { event: unknown }).event);

describe('executor.stream', () => {
  it('posts each event as a stream.chunk notification, in order, then answers', async () => {
    const { response, messages } = await callWithPort(basic.pool, 'executor.stream', executorRequest('echo-1', true));
    expect(resultOf(response)).toEqual({});
    expect(chunks(messages)).toEqual([{ word: 'a' }, { word: 'b' }, { word: 'c' }]);
    expect(messages[0]).toEqual({ jsonrpc: '2.0', method: 'stream.chunk', params: { event: { word: 'a' } } });
  });

  it('stops on $/cancel, aborting ctx.signal and closing the generator', async () => {
    let seen = 0;
    const { response, messages } = await callWithPort(basic.pool, 'executor.stream', executorRequest('endless', true), host((message, port) => {
        if (message.method === 'stream.chunk' && ++seen === 2) port.postMessage(cancel);
      }),
    );
    expect(errorOf(response).code).toBe(ErrorCodes.cancelled);
    expect(chunks(messages).length).toBeLessThan(5);
    await waitFor(() => basic.logs.some((log) => log.message === 'stream closed'));
    expect(basic.logs.find((log) => log.message === 'stream closed')?.fields).toEqual({ aborted: true });
  });

  it('answers invalidResult for an event that cannot be cloned, and the worker lives on', async () => {
    const { response, messages } = await callWithPort(basic.pool, 'executor.stream', executorRequest('unclonable', true));
    expect(errorOf(response).code).toBe(ErrorCodes.invalidResult);
    expect(chunks(messages)).toEqual([{ ok: true }]);
    expect(resultOf(await call(basic.pool, '$/ping'))).toBe('pong');
  });

  it('refuses a stream call without a port to carry its chunks', async () => {
    expect(errorOf(await call(basic.pool, 'executor.stream', executorRequest('echo-1', true))).code).toBe(-32600);
  });
});

describe('call side channel', () => {
  it('aborts ctx.signal of any call on $/cancel', async () => {
    const { response } = await callWithPort(basic.pool, 'model.route', routeRequest('wait-cancel'), (port) => {
      setTimeout(() => port.postMessage(cancel), 20);
    });
    expect(errorOf(response).code).toBe(ErrorCodes.cancelled);
  }, 1_000);

  it('round-trips ctx.host.executeModel over the port', async () => {
    const requests: unknown[] = [];
    const { response } = await callWithPort(basic.pool, 'model.route', routeRequest('nested'),
      host((message, port) => {
        if (message.method !== 'host.executeModel') return;
        requests.push(message);
        port.postMessage({ jsonrpc: '2.0', id: message.id, result: { status: 200, headers: {}, body: { model: 'from-host' } } });
      }),
    );
    expect(resultOf(response)).toMatchObject({ handled: true, target: 'from-host' });
    expect(requests).toEqual([
      { jsonrpc: '2.0', id: expect.any(Number), method: 'host.executeModel', params: { format: 'openai', body: { model: 'inner' }, stream: false } },
    ]);
  });

  it('rejects ctx.host.executeModel with the host error', async () => {
    const { response } = await callWithPort(basic.pool, 'model.route', routeRequest('nested-fails'),
      host((message, port) => {
        if (message.method === 'host.executeModel') port.postMessage({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: 'nested failed' } });
      }),
    );
    expect(resultOf(response)).toMatchObject({ reason: '-32000:nested failed' });
  });

  it('opens a callback port over parentPort when a portless handler calls ctx.host.executeModel', async () => {
    const opened: unknown[] = [];
    const onMessage = (message: { method?: string; params?: { id?: unknown; port?: MessagePort } }) => {
      if (message?.method !== '$/callPort' || !message.params?.port) return;
      const port = message.params.port;
      opened.push(message.params.id);
      // The test plays the host: it answers the nested call on the port the worker opened.
      port.on('message', (req: { id: number }) => port.postMessage({ jsonrpc: '2.0', id: req.id, result: { status: 200, headers: {}, body: { ok: true } } }));
    };
    basic.pool.on('message', onMessage);
    try {
      const chunk = { requestId: 'r', index: 0, sourceFormat: 'openai', event: { data: {} } };
      // The fixture answers null once its nested call succeeded.
      expect(resultOf(await call(basic.pool, 'stream.intercept', chunk))).toBeNull();
      expect(opened).toHaveLength(1);
    } finally {
      basic.pool.off('message', onMessage);
    }
  });
});
