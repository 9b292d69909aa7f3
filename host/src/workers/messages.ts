/**
 * Every message the primary and the workers of `serve --workers` exchange over cluster IPC.
 * Each one is an envelope tagged `sy` (its topic), so nothing else on the channel (another
 * library's messages, such as prom-client's own cluster protocol) is mistaken for one of ours.
 * The state topic carries the state store's own protocol (`core/state/workers/wire.ts`, kept in
 * the core so the backend and the primary's store can speak it without knowing about processes).
 *
 * Everything here survives JSON, the serialisation cluster IPC uses.
 *
 * @module
 */
import type { StateReply, StateRequest } from '../core/state/workers/wire.js';
import type { MetricsReport } from '../metrics/cluster.js';

export type { StateReply, StateRequest } from '../core/state/workers/wire.js';

/**
 * Worker -> primary: this worker listens for our messages now. Until then the primary sends it
 * none (a message that arrives before the listener would be lost), and stops it by signal.
 */
export interface ReadyMessage {
  sy: 'ready';
}

/** Worker -> primary: a request of the worker's state backend. */
export interface StateRequestMessage {
  sy: 'state';
  body: StateRequest;
}

/** Worker -> primary: `GET /metrics` reached this worker; answer with the whole set's metrics. */
export interface MetricsRequestMessage {
  sy: 'metrics-request';
  id: number;
}

/** Worker -> primary: this worker's series, for collection `id`. */
export interface MetricsReportMessage {
  sy: 'metrics-report';
  id: number;
  report?: MetricsReport;
  error?: string;
}

/** Worker -> primary: this worker reloaded on a management `POST /reload`; reload every other one. */
export interface ReloadRequestMessage {
  sy: 'reload-all';
}

export type WorkerToPrimary = ReadyMessage | StateRequestMessage | MetricsRequestMessage | MetricsReportMessage | ReloadRequestMessage;

/** Primary -> worker: a reply to one of its state requests, or other workers' state changes. */
export interface StateReplyMessage {
  sy: 'state';
  body: StateReply;
}

/** Primary -> worker: send your series for collection `id`. */
export interface MetricsCollectMessage {
  sy: 'metrics-collect';
  id: number;
}

/** Primary -> worker: the whole set's metrics (Prometheus text) for its request `id`. */
export interface MetricsAnswerMessage {
  sy: 'metrics-answer';
  id: number;
  text?: string;
  error?: string;
}

/** Primary -> worker: another worker was asked to reload; re-read the config and plugins dir. */
export interface ReloadMessage {
  sy: 'reload';
}

/** Primary -> worker: stop gracefully (the primary got SIGTERM or SIGINT, or is giving up). */
export interface ShutdownMessage {
  sy: 'shutdown';
}

export type PrimaryToWorker = StateReplyMessage | MetricsCollectMessage | MetricsAnswerMessage | ReloadMessage | ShutdownMessage;

const WORKER_TOPICS: ReadonlySet<string> = new Set<WorkerToPrimary['sy']>(['ready', 'state', 'metrics-request', 'metrics-report', 'reload-all']);
const PRIMARY_TOPICS: ReadonlySet<string> = new Set<PrimaryToWorker['sy']>(['state', 'metrics-collect', 'metrics-answer', 'reload', 'shutdown']);

function topic(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const sy = (message as { sy?: unknown }).sy;
  return typeof sy === 'string' ? sy : undefined;
}

/** Whether a message a worker sent is one of ours. */
export function isWorkerMessage(message: unknown): message is WorkerToPrimary {
  return WORKER_TOPICS.has(topic(message) ?? '');
}

/** Whether a message the primary sent is one of ours. */
export function isPrimaryMessage(message: unknown): message is PrimaryToWorker {
  return PRIMARY_TOPICS.has(topic(message) ?? '');
}
