import { describe, expect, it } from 'vitest';
import { LineRing } from './line-ring.js';

const text = (id: string, size: number) => `{"id":"${id}","pad":"${'é'.repeat(Math.max(0, (size - 20) / 2))}"}`;

describe('LineRing', () => {
  it('returns each line as UTF-8 with a newline, and gives back the text kept under its id', () => {
    const ring = new LineRing(1024);
    const bytes = ring.put('a', '{"a":"héllo"}');
    expect(Buffer.from(bytes).toString()).toBe('{"a":"héllo"}\n');
    expect(ring.get('a')).toBe('{"a":"héllo"}');
    expect(ring.get('b')).toBeUndefined();
  });

  it('keeps the newest lines as it goes round, forgetting each one once its bytes are written over', () => {
    const ring = new LineRing(1000);
    const ids = Array.from({ length: 40 }, (_, i) => `line_${i}`);
    for (const id of ids) ring.put(id, text(id, 100));
    const kept = ids.filter((id) => ring.get(id) !== undefined);
    // ~100-byte lines in 1,000 bytes: the newest nine or so, and each exactly as it was put.
    expect(kept.length).toBeGreaterThanOrEqual(8);
    expect(kept).toEqual(ids.slice(-kept.length));
    for (const id of kept) expect(ring.get(id)).toBe(text(id, 100));
  });

  it('never splits a line over the end of the ring', () => {
    const ring = new LineRing(1000);
    for (let i = 0; i < 50; i++) {
      const id = `l${i}`;
      const line = text(id, 60 + (i % 7) * 25);
      const bytes = ring.put(id, line);
      expect(Buffer.from(bytes).toString()).toBe(`${line}\n`);
      expect(ring.get(id)).toBe(line);
    }
  });

  it('holds a returned view while half the ring of lines is put after it', () => {
    const ring = new LineRing(1200);
    ring.put('before', text('before', 250));
    const view = ring.put('line', text('line', 280));
    const copy = Buffer.from(view);
    let after = 0;
    for (let i = 0; after + 290 <= 600; i++) after += ring.put(`next_${i}`, text(`next_${i}`, 280)).length;
    expect(Buffer.from(view).equals(copy)).toBe(true);
  });

  it('does not keep a line longer than a quarter of the ring, and returns its bytes all the same; keeps one up to that', () => {
    const ring = new LineRing(1000);
    const long = text('long', 400);
    expect(Buffer.from(ring.put('long', long)).toString()).toBe(`${long}\n`);
    expect(ring.get('long')).toBeUndefined();
    // Measured when its worst case (3 bytes a character) would not fit: 240 ASCII bytes do.
    const ascii = `{"pad":"${'a'.repeat(230)}"}`;
    expect(ring.put('ascii', ascii)).toHaveLength(ascii.length + 1);
    expect(ring.get('ascii')).toBe(ascii);
  });

  it('forgets a line on delete and when its id is put again', () => {
    const ring = new LineRing(1000);
    ring.put('a', '{"v":1}');
    expect(ring.delete('a')).toBe(true);
    expect(ring.delete('a')).toBe(false);
    expect(ring.get('a')).toBeUndefined();
    ring.put('b', '{"v":1}');
    ring.put('b', '{"v":2}');
    expect(ring.get('b')).toBe('{"v":2}');
  });

  it('keeps a line put again until the ring passes its newer place, over many laps', () => {
    const ring = new LineRing(1000);
    ring.put('again', text('again', 100));
    for (let i = 0; i < 5; i++) ring.put(`x_${i}`, text(`x_${i}`, 100));
    ring.put('again', text('again', 120));
    // Past the first place of 'again', not its second.
    for (let i = 5; i < 9; i++) ring.put(`x_${i}`, text(`x_${i}`, 100));
    expect(ring.get('again')).toBe(text('again', 120));
    for (let i = 9; i < 20; i++) ring.put(`x_${i}`, text(`x_${i}`, 100));
    expect(ring.get('again')).toBeUndefined();
    // Thousands of laps: still exactly the newest lines, each as it was put.
    for (let i = 20; i < 20_000; i++) ring.put(`x_${i}`, text(`x_${i}`, 100));
    const kept = Array.from({ length: 20_000 }, (_, i) => `x_${i}`).filter((id) => ring.get(id) !== undefined);
    // At most ten ~100-byte lines fit in 1,000 bytes.
    expect(kept.length).toBeGreaterThanOrEqual(8);
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `x_${20_000 - kept.length + i}`));
  });
});
