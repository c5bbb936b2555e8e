import { describe, expect, it } from 'vitest';
import { IoFlashRing } from '@/lib/blockmap/io-flashes';

function all(ring: IoFlashRing): Array<[string, number, number, number]> {
  const out: Array<[string, number, number, number]> = [];
  ring.forEachNewest((kind, first, end, time) => {
    out.push([kind, first, end, time]);
  });
  return out;
}

describe('IoFlashRing', () => {
  it('gives the records newest first and overwrites the oldest when full', () => {
    const ring = new IoFlashRing(3);
    expect(ring.newestTimeMs).toBe(-Infinity);
    ring.push('read', 0, 8, 10);
    ring.push('write', 8, 16, 20);
    expect(all(ring)).toEqual([
      ['write', 8, 16, 20],
      ['read', 0, 8, 10],
    ]);
    ring.push('read', 16, 17, 30);
    ring.push('write', 100, 200, 40);
    expect(ring.size).toBe(3);
    expect(ring.newestTimeMs).toBe(40);
    expect(all(ring)).toEqual([
      ['write', 100, 200, 40],
      ['read', 16, 17, 30],
      ['write', 8, 16, 20],
    ]);
  });

  it('stops walking when the visitor returns false (the first faded flash)', () => {
    const ring = new IoFlashRing(8);
    for (let t = 0; t < 6; t += 1) ring.push('read', t, t + 1, t * 100);
    const seen: number[] = [];
    ring.forEachNewest((_kind, first, _end, time) => {
      if (time < 300) return false;
      seen.push(first);
    });
    expect(seen).toEqual([5, 4, 3]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new IoFlashRing(0)).toThrow(RangeError);
  });
});
