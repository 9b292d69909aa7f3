import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './throttle.js';

describe('AuthThrottle', () => {
  it('blocks an address on its 5th failure within the window, for blockMs', () => {
    const t = new AuthThrottle();
    for (let i = 0; i < 4; i++) t.failed('a', 1_000 + i);
    expect(t.blockedFor('a', 1_010)).toBe(0);
    t.failed('a', 1_020);
    expect(t.blockedFor('a', 1_020)).toBe(60_000);
    expect(t.blockedFor('b', 1_020)).toBe(0);
    expect(t.blockedFor('a', 61_019)).toBe(1);
    expect(t.blockedFor('a', 61_020)).toBe(0);
    // The block served, the address starts from a clean slate.
    t.failed('a', 61_030);
    expect(t.blockedFor('a', 61_030)).toBe(0);
  });

  it('counts failures per window: old ones expire', () => {
    const t = new AuthThrottle({ limit: 3, windowMs: 100, blockMs: 50 });
    t.failed('a', 0);
    t.failed('a', 50);
    t.failed('a', 100); // a new window starts here
    t.failed('a', 120);
    expect(t.blockedFor('a', 130)).toBe(0);
    t.failed('a', 150);
    expect(t.blockedFor('a', 150)).toBe(50);
  });

  it('forgets an address on success, and the oldest address beyond maxClients', () => {
    const t = new AuthThrottle({ limit: 2, maxClients: 2 });
    t.failed('a', 0);
    t.succeeded('a');
    t.failed('a', 1);
    expect(t.blockedFor('a', 1)).toBe(0);
    t.failed('b', 2);
    t.failed('c', 3); // 'a' goes
    t.failed('a', 4);
    expect(t.blockedFor('a', 4)).toBe(0);
    t.failed('c', 5);
    expect(t.blockedFor('c', 5)).toBeGreaterThan(0);
  });
});
