import { afterEach, describe, expect, it, vi } from 'vitest';
import { planAttempt } from './deadline.js';

/** A signal by shape only, as the host's request signal is: `AbortSignal.any` could not follow it. */
class ShapedSignal extends EventTarget {
  aborted = false;
  reason: unknown = undefined;
  onabort = null;
  throwIfAborted(): void {}
  abort(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    this.dispatchEvent(new Event('abort'));
  }
}
const shaped = () => new ShapedSignal() as ShapedSignal & AbortSignal;

afterEach(() => vi.useRealTimers());

describe('planAttempt', () => {
  it('needs no plan when the budget is long', () => {
    expect(planAttempt(shaped(), 600_000, false)).toBeUndefined();
  });

  it('gives an attempt half of what is left while others remain, and cuts it then', () => {
    vi.useFakeTimers();
    const plan = planAttempt(shaped(), 2_000, true)!;
    expect(plan.budget).toBe(1_000);
    vi.advanceTimersByTime(999);
    expect(plan.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(plan.cut.aborted).toBe(true);
    expect(plan.signal.aborted).toBe(true);
    expect((plan.signal.reason as Error).message).toBe('cut by the deadline plan after 1000 ms');
  });

  it("follows the request's own abort, before and after the attempt is done", () => {
    vi.useFakeTimers();
    const request = shaped();
    const plan = planAttempt(request, 2_000, false)!;
    plan.done();
    vi.advanceTimersByTime(5_000);
    expect(plan.signal.aborted).toBe(false);
    request.abort('client left');
    expect(plan.signal.aborted).toBe(true);
    expect(plan.signal.reason).toBe('client left');
    expect(plan.cut.aborted).toBe(false);

    const aborted = shaped();
    aborted.abort('already gone');
    expect(planAttempt(aborted, 2_000, false)!.signal.reason).toBe('already gone');
  });
});
