/**
 * The wire protocol between the Switchyard host and its plugins: the protocol version, the
 * JSON-RPC 2.0 method names and Switchyard's own error codes. Host and worker both import
 * this file, so the two sides can never disagree on a name.
 *
 * Versioning: a capability addition bumps the minor, a breaking change the major. A plugin
 * declares the host versions it accepts in `package.json` `switchyard.protocol` (a semver range
 * with a pinned major); `plugin.register` carries both sides' versions.
 *
 * @module
 */

/** This SDK's protocol version. */
export const PROTOCOL_VERSION = '1.3.0';

/** JSON-RPC method names (CONTRACT section 6). */
export const Methods = {
  /** host -> plugin: handshake; answers metadata, protocol version and capabilities. */
  register: 'plugin.register',
  /** host -> plugin: the pool is about to be drained. */
  shutdown: 'plugin.shutdown',
  /** host -> plugin: liveness check of an idle worker. */
  ping: '$/ping',
  route: 'model.route',
  requestIntercept: 'request.intercept',
  responseIntercept: 'response.intercept',
  streamIntercept: 'stream.intercept',
  /**
   * host -> plugin (1.2): several events of one stream (one upstream read) through the stream
   * interceptor in one call; the worker runs the plugin's per-event handler on each in turn.
   * 1.3 adds the `packed` form of the events: their texts as one string.
   */
  streamInterceptBatch: 'stream.interceptBatch',
  schedulerPick: 'scheduler.pick',
  /** host -> plugin (1.1): fresh material for a credential of one of the plugin's types. */
  authRefresh: 'auth.refresh',
  executorExecute: 'executor.execute',
  /** host -> plugin: answers with `stream.chunk` notifications on the call's port, then the result. */
  executorStream: 'executor.stream',
  /** plugin -> host notification: one event of an executor stream. */
  streamChunk: 'stream.chunk',
  /** host -> plugin notification on a call's port: the client went away. */
  cancel: '$/cancel',
  /** plugin -> host: run a nested request through the whole pipeline. */
  executeModel: 'host.executeModel',
  /** plugin -> host notification: a log line. */
  log: 'host.log',
  /**
   * plugin -> host notification on `parentPort`, carrying a MessagePort: the callback channel
   * of a call that came without one (`params: {id, port}`, `id` the call's JSON-RPC id).
   */
  callPort: '$/callPort',
} as const;

export type MethodName = (typeof Methods)[keyof typeof Methods];

/**
 * Switchyard's JSON-RPC error codes, in the server-error range (-32000 to -32099). The
 * standard codes (-32600 invalid request, -32601 method not found, -32602 invalid params) keep
 * their meaning.
 */
export const ErrorCodes = {
  /** The capability handler threw (not a fuse: the call fails and is counted). */
  handlerError: -32000,
  /** The handler answered something that does not fit the result schema. */
  invalidResult: -32001,
  /** The method's capability is not defined by the plugin. */
  capabilityMissing: -32002,
  /** The host's protocol version is not one this SDK can speak. */
  protocolMismatch: -32003,
  /** The call was cancelled (`$/cancel`). */
  cancelled: -32004,
  /** An executor failed like an upstream: `data` carries `{status, retryAfterMs?}`. */
  upstreamStatus: -32010,
} as const;

/** Whether `hostVersion` and `sdkVersion` can talk: same major version. */
export function compatibleProtocol(hostVersion: string, sdkVersion: string = PROTOCOL_VERSION): boolean {
  return hostVersion.split('.')[0] === sdkVersion.split('.')[0];
}
