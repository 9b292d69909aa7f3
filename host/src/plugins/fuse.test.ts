import { describe, expect, it } from 'vitest';
import { FUSE_WINDOW_MS, FusePolicy, MAX_RESTART_DELAY_MS } from './fuse.js';

const MIN = 60_000;

describe('FusePolicy', () => {
  it('restarts after restartDelay, doubling per consecutive fuse', () => {
    const p = new FusePolicy();
    expect(p.fuse(0, 30_000)).toEqual({ consecutive: 1, restartAt: 30_000 });
    p.activated(30_000);
    expect(p.fuse(40_000, 30_000)).toEqual({ consecutive: 2, restartAt: 40_000 + 60_000 });
  });

  it('stays fused after the third fuse within 10 minutes', () => {
    const p = new FusePolicy();
    p.fuse(0, 30_000);
    p.activated(30_000);
    p.fuse(1 * MIN, 30_000);
    p.activated(2 * MIN);
    expect(p.fuse(9 * MIN, 30_000)).toEqual({ consecutive: 3, restartAt: null });
  });

  it('counts only the fuses inside the window', () => {
    const p = new FusePolicy();
    p.fuse(0, 1_000);
    p.activated(1_000);
    p.fuse(5 * MIN, 1_000);
    p.activated(5 * MIN + 2_000);
    // The first fuse is 10 minutes old: two in the window, so it restarts (doubling continues,
    // since the plugin never ran a whole window in between).
    expect(p.fuse(FUSE_WINDOW_MS, 1_000)).toEqual({ consecutive: 3, restartAt: FUSE_WINDOW_MS + 4_000 });
  });

  it('caps the delay at 30 minutes', () => {
    const p = new FusePolicy();
    let t = 0;
    let decision = p.fuse(t, 10 * MIN);
    expect(decision.restartAt).toBe(10 * MIN);
    // Fuses 11 minutes apart never put three in one window, but the count keeps doubling.
    for (let i = 0; i < 3; i++) {
      t += 11 * MIN;
      p.activated(t - 1);
      decision = p.fuse(t, 10 * MIN);
    }
    expect(decision).toEqual({ consecutive: 4, restartAt: t + MAX_RESTART_DELAY_MS });
  });

  it('forgives earlier fuses after an active period longer than the window', () => {
    const p = new FusePolicy();
    p.fuse(0, 30_000);
    p.activated(30_000);
    p.fuse(60_000, 30_000);
    p.activated(2 * 60_000);
    expect(p.fuse(2 * 60_000 + FUSE_WINDOW_MS + 1, 30_000)).toEqual({ consecutive: 1, restartAt: 2 * 60_000 + FUSE_WINDOW_MS + 1 + 30_000 });
  });

  it('a start that never became active does not reset the count', () => {
    const p = new FusePolicy();
    p.fuse(0, 100);
    expect(p.fuse(20 * MIN, 100)).toEqual({ consecutive: 2, restartAt: 20 * MIN + 200 });
  });

  it('reset() forgets everything', () => {
    const p = new FusePolicy();
    p.fuse(0, 100);
    p.fuse(100, 100);
    expect(p.fuse(300, 100).restartAt).toBeNull();
    p.reset();
    expect(p.fuse(400, 100)).toEqual({ consecutive: 1, restartAt: 500 });
  });
});
