import { describe, expect, it } from 'vitest';
import type { JSONRPCRequest } from './json-rpc.js';
import { RpcError } from './rpc-error.js';
import { RpcServer, isThenable } from './rpc-server.js';

const server = new RpcServer<{ user: string }>();
server.addMethod('sync', (params, p) => ({ params, user: p.user }));
server.addMethod('async', async (params) => ({ later: params }));
server.addMethod('nothing', () => undefined);
server.addMethod('rpcError', () => {
  throw new RpcError(-32010, 'refused', { why: 'because' });
});
server.addMethod('plainError', () => {
  throw new Error('boom');
});
server.addMethod('rejects', () => Promise.reject(new RpcError(-32011, 'later refused')));
server.addMethod('throwsValue', () => {
  throw 42;
});

const request = (method: string, id: JSONRPCRequest['id'] = 1, params?: unknown): JSONRPCRequest => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
const p = { user: 'u' };

describe('RpcServer', () => {
  it('answers a synchronous method synchronously, and an asynchronous one with a promise', async () => {
    const now = server.receive(request('sync', 7, { a: 1 }), p);
    expect(isThenable(now)).toBe(false);
    expect(now).toEqual({ jsonrpc: '2.0', id: 7, result: { params: { a: 1 }, user: 'u' } });
    const later = server.receive(request('async', 'x', 2), p);
    expect(isThenable(later)).toBe(true);
    expect(await later).toEqual({ jsonrpc: '2.0', id: 'x', result: { later: 2 } });
  });

  it('answers an undefined result as null', () => {
    expect(server.receive(request('nothing'), p)).toEqual({ jsonrpc: '2.0', id: 1, result: null });
  });

  it("maps a JSON-RPC error to its code and data, anything else to code 0 and its message", async () => {
    expect(server.receive(request('rpcError'), p)).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32010, message: 'refused', data: { why: 'because' } } });
    expect(server.receive(request('plainError'), p)).toEqual({ jsonrpc: '2.0', id: 1, error: { code: 0, message: 'boom' } });
    expect(await server.receive(request('rejects'), p)).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32011, message: 'later refused' } });
    expect(server.receive(request('throwsValue'), p)).toEqual({ jsonrpc: '2.0', id: 1, error: { code: 0, message: 'An unexpected error occurred' } });
  });

  it('answers an unknown method -32601 and a malformed request -32600; a notification gets no answer', () => {
    expect(server.receive(request('missing', 3), p)).toEqual({ jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'Method not found' } });
    expect(server.receive({ jsonrpc: '1.0', id: 4, method: 'sync' } as unknown as JSONRPCRequest, p)).toEqual({ jsonrpc: '2.0', id: 4, error: { code: -32600, message: 'Invalid Request' } });
    expect(server.receive({ jsonrpc: '2.0', id: {}, result: 1 } as unknown as JSONRPCRequest, p)).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
    expect(server.receive({ jsonrpc: '2.0', method: 'sync' }, p)).toBeNull();
    expect(server.receive({ jsonrpc: '2.0', method: 'plainError' }, p)).toBeNull();
    expect(server.receive({ jsonrpc: '2.0', method: 'missing' }, p)).toBeNull();
  });
});
