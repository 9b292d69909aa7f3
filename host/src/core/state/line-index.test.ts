import { describe, expect, it } from 'vitest';
import { prng } from '../../../../test/helpers/chaos.js';
import { type LinePlace, LineIndex, hashId } from './line-index.js';

const place = (n: number): LinePlace => ({ segment: n % 7, offset: n * 3, length: n + 1, expiresAt: 1.7e12 + n });
const put = (index: LineIndex, id: string, p: LinePlace) => index.set(id, p.segment, p.offset, p.length, p.expiresAt);

describe('LineIndex', () => {
  it('gets, replaces and deletes places by id', () => {
    const index = new LineIndex();
    put(index, 'resp_a', place(1));
    put(index, 'resp_b', place(2));
    expect(index.get('resp_a')).toEqual(place(1));
    put(index, 'resp_a', place(3));
    expect(index.get('resp_a')).toEqual(place(3));
    expect(index.size).toBe(2);
    expect(index.delete('resp_a')).toBe(true);
    expect(index.delete('resp_a')).toBe(false);
    expect(index.get('resp_a')).toBeUndefined();
    expect(index.get('resp_b')).toEqual(place(2));
    expect(index.get('resp_')).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('tells apart ids of the same hash, by their bytes', () => {
    // Found by hashing `resp_<n in base 36>` until two hashes met.
    const [a, b] = ['resp_15pvu', 'resp_1c3ea'];
    expect(hashId(a)).toBe(hashId(b));
    const index = new LineIndex();
    put(index, a, place(1));
    expect(index.get(b)).toBeUndefined();
    put(index, b, place(2));
    expect(index.get(a)).toEqual(place(1));
    expect(index.get(b)).toEqual(place(2));
    // Deleting the first leaves a deleted slot the second's probe must step over.
    index.delete(a);
    expect(index.get(b)).toEqual(place(2));
    put(index, a, place(3));
    expect(index.get(a)).toEqual(place(3));
    expect(index.size).toBe(2);
  });

  it('forgets every id whose line is in a swept segment', () => {
    const index = new LineIndex();
    for (let n = 0; n < 5_000; n++) put(index, `resp_${n}`, place(n));
    index.deleteIn(new Set([0, 3]));
    for (let n = 0; n < 5_000; n++) expect(index.get(`resp_${n}`)).toEqual(n % 7 === 0 || n % 7 === 3 ? undefined : place(n));
    // Down to a seventh: the tables are rebuilt smaller, the ids kept.
    index.deleteIn(new Set([1, 2, 4, 5]));
    expect(index.size).toBe([...Array(5_000).keys()].filter((n) => n % 7 === 6).length);
    for (let n = 6; n < 5_000; n += 7) expect(index.get(`resp_${n}`)).toEqual(place(n));
  });

  it('agrees with a Map over a long random run of sets and deletes, through every growth and rebuild', () => {
    const next = prng(17);
    const index = new LineIndex();
    const model = new Map<string, LinePlace>();
    // Few enough distinct ids that they are set again and deleted often; long enough to grow many times.
    const ids = Array.from({ length: 30_000 }, (_, n) => `resp_${(n * 2654435761).toString(36)}${'x'.repeat(n % 40)}`);
    for (let step = 0; step < 200_000; step++) {
      const id = ids[Math.floor(next() * ids.length)]!;
      if (next() < 0.3) {
        expect(index.delete(id)).toBe(model.delete(id));
      } else {
        const p = place(step);
        put(index, id, p);
        model.set(id, p);
      }
    }
    expect(index.size).toBe(model.size);
    for (const id of ids) expect(index.get(id)).toEqual(model.get(id));
  });

  it('takes ids of 1 to 255 characters', () => {
    const index = new LineIndex();
    expect(() => index.set('', 0, 0, 1, 0)).toThrow(RangeError);
    expect(() => index.set('r'.repeat(256), 0, 0, 1, 0)).toThrow(RangeError);
    put(index, 'r'.repeat(255), place(1));
    expect(index.get('r'.repeat(255))).toEqual(place(1));
  });
});
