import { describe, expect, it } from 'vitest';
import { LiveSet } from './live-set.js';

describe('LiveSet', () => {
  it('holds what was added until its link removes it, newest first', () => {
    const set = new LiveSet<string>();
    const a = set.add('a');
    const b = set.add('b');
    const c = set.add('c');
    expect([...set]).toEqual(['c', 'b', 'a']);
    set.remove(b);
    expect([...set]).toEqual(['c', 'a']);
    set.remove(c);
    set.remove(a);
    expect([...set]).toEqual([]);
    expect(set.size).toBe(0);
    set.add('d');
    expect([...set]).toEqual(['d']);
  });

  it('counts each member once, however often its link is removed', () => {
    const set = new LiveSet<number>();
    const one = set.add(1);
    set.add(2);
    set.remove(one);
    set.remove(one);
    expect(set.size).toBe(1);
    expect([...set]).toEqual([2]);
  });

  it('leaves a removed link pointing at nothing, so an ended member keeps nothing alive', () => {
    const set = new LiveSet<object>();
    set.add({});
    const middle = set.add({});
    set.add({});
    set.remove(middle);
    expect(middle).toEqual({ member: null, prev: null, next: null });
  });

  it('iterates the members as they were when iteration began', () => {
    const set = new LiveSet<string>();
    const links = ['a', 'b', 'c'].map((m) => set.add(m));
    const seen: string[] = [];
    for (const member of set) {
      seen.push(member);
      // What a member's handler may do meanwhile: end others, or admit new ones.
      for (const link of links) set.remove(link);
      set.add('late');
    }
    expect(seen).toEqual(['c', 'b', 'a']);
    expect([...set]).toEqual(['late', 'late', 'late']);
  });
});
