/**
 * json-rpc-2.0 for the worker runtime. The package is CommonJS only: imported from an ES module,
 * Node starts its CommonJS export lexer (a WebAssembly module) in every plugin worker, about
 * 2.3 MB of RSS each; required, the package costs 0.6 MB.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type * as JsonRpc from 'json-rpc-2.0';

const jsonRpc = createRequire(import.meta.url)('json-rpc-2.0') as typeof JsonRpc;

export const { JSONRPCClient, JSONRPCErrorCode, JSONRPCErrorException, isJSONRPCResponse } = jsonRpc;
export type JSONRPCClient = JsonRpc.JSONRPCClient;
export type { JSONRPCID, JSONRPCRequest, JSONRPCResponse } from 'json-rpc-2.0';
