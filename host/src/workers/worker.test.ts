/**
 * The worker side of `serve --workers` over a fake IPC port: what it sends the primary, and how
 * it answers the primary's messages, the early ones (before the gateway is up) included.
 */
import { EventEmitter } from 'node:events';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { PrimaryToWorker, WorkerToPrimary } from './messages.js';
import { WorkerLink, type WorkerPort } from './worker.js';

function fakePort() {
  const emitter = new EventEmitter();
  const sent: WorkerToPrimary[] = [];
  const port: WorkerPort = {
    send: (m) => void sent.push(JSON.parse(JSON.stringify(m))),
    on: ((event: string, listener: (message: unknown) => void) => emitter.on(event, listener)) as WorkerPort['on'],
  };
  return { port, sent, deliver: (m: PrimaryToWorker | unknown) => emitter.emit('message', m), disconnect: () => emitter.emit('disconnect') };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkerLink', () => {
  it('says it is ready first, answers collections with its series, and resolves a scrape with the primary’s answer', async () => {
    const { port, sent, deliver } = fakePort();
    const link = new WorkerLink(port);
    expect(sent).toEqual([{ sy: 'ready' }]);
    const registry = new Registry();
    new Counter({ name: 'switchyard_requests_total', help: 'r', registers: [registry] }).inc(3);
    link.shareMetrics(registry);
    deliver({ sy: 'metrics-collect', id: 7 });
    await tick();
    expect(sent[1]).toMatchObject({ sy: 'metrics-report', id: 7, report: [{ name: 'switchyard_requests_total', values: [{ value: 3 }] }] });

    const scrape = link.scrape();
    expect(sent[2]).toEqual({ sy: 'metrics-request', id: 1 });
    deliver({ sy: 'metrics-answer', id: 1, text: 'switchyard_requests_total 6\n' });
    expect(await scrape).toBe('switchyard_requests_total 6\n');
    // Anything not ours on the channel is left alone.
    deliver({ type: 'prom-client:getMetricsReq', requestId: 1 });
    expect(sent).toHaveLength(3);
  });

  it('keeps a reload or a shutdown the primary asked for before the gateway was up, and runs it once it is', async () => {
    const { port, sent, deliver } = fakePort();
    const link = new WorkerLink(port);
    deliver({ sy: 'reload' });
    deliver({ sy: 'shutdown' });
    let reloads = 0;
    let stops = 0;
    link.onReload(async () => void reloads++);
    link.onShutdown(() => void stops++);
    expect([reloads, stops]).toEqual([1, 1]);
    deliver({ sy: 'reload' });
    expect(reloads).toBe(2);
    link.reloadOthers();
    expect(sent.at(-1)).toEqual({ sy: 'reload-all' });
  });

  it('fails what waits on the primary once the link is gone', async () => {
    const { port, sent, disconnect } = fakePort();
    const link = new WorkerLink(port);
    const scrape = link.scrape();
    const snapshot = link.stateBackend().snapshot(true);
    expect(sent.at(-1)).toMatchObject({ sy: 'state', body: { op: 'snapshot', full: true } });
    disconnect();
    await expect(scrape).rejects.toMatchObject({ status: 503 });
    await expect(snapshot).rejects.toThrow('the primary process is gone');
    await expect(link.conversationStore().get('resp_1')).rejects.toMatchObject({ status: 503 });
  });
});
