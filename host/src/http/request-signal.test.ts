import { addAbortListener } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RequestSignal } from './request-signal.js';

describe('RequestSignal', () => {
  it('aborts once, with its reason, telling each listener and onabort', () => {
    const signal = new RequestSignal();
    const heard: string[] = [];
    signal.addEventListener('abort', (event) => heard.push(`listener ${event.type} ${String((event.target as AbortSignal).reason)}`), { once: true });
    signal.onabort = () => heard.push('onabort');
    const removed = () => heard.push('removed');
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    expect(signal.aborted).toBe(false);
    expect(() => signal.throwIfAborted()).not.toThrow();
    signal.abort('first');
    signal.abort('second');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('first');
    expect(heard).toEqual(['onabort', 'listener abort first']);
    expect(() => signal.throwIfAborted()).toThrow('first');
  });

  it('aborts with an AbortError when given no reason, as AbortController does', () => {
    const signal = new RequestSignal();
    signal.abort();
    expect((signal.reason as DOMException).name).toBe('AbortError');
  });

  it("is taken by Node's APIs that take a signal", async () => {
    const signal = new RequestSignal();
    const slept = sleep(60_000, undefined, { signal }).catch((err: Error) => err);
    let told = false;
    addAbortListener(signal, () => (told = true));
    signal.abort(new Error('client left'));
    const err = (await slept) as Error & { cause?: unknown };
    expect(err.name).toBe('AbortError');
    expect((err.cause as Error).message).toBe('client left');
    expect(told).toBe(true);
  });
});
