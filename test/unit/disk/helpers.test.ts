import { describe, expect, it } from 'vitest';
import { LruByteCache } from '@/lib/disk/lru-cache';
import { countSectors, coversBitmap, createBitmap, hasSector, markSector, unionBitmaps } from '@/lib/disk/sector-bitmap';
import { ZeroChunkRuns } from '@/lib/disk/zero-chunks';

describe('LruByteCache', () => {
  it('evicts least recently used entries to stay under its byte budget', () => {
    const cache = new LruByteCache<number>(30);
    cache.set(1, new Uint8Array(10));
    cache.set(2, new Uint8Array(10));
    cache.set(3, new Uint8Array(10));
    cache.get(1); // 2 is now the oldest
    cache.set(4, new Uint8Array(10));
    expect([cache.has(1), cache.has(2), cache.has(3), cache.has(4)]).toEqual([true, false, true, true]);
    expect(cache.sizeBytes).toBe(30);
    cache.set(5, new Uint8Array(31)); // larger than the budget: not cached at all
    expect(cache.has(5)).toBe(false);
    expect(cache.sizeBytes).toBe(30);
  });
});

describe('ZeroChunkRuns', () => {
  it('merges overlapping runs and answers membership', () => {
    const runs = new ZeroChunkRuns([[10, 5], [0, 2], [12, 10], [30, 0]], 40);
    const zero = Array.from({ length: 40 }, (_, i) => i).filter((i) => runs.has(i));
    expect(zero).toEqual([0, 1, ...Array.from({ length: 12 }, (_, i) => 10 + i)]);
  });
  it('rejects runs past the end of the image', () => {
    expect(() => new ZeroChunkRuns([[38, 3]], 40)).toThrow(/past the image/);
  });
});

describe('sector bitmaps', () => {
  it('marks, counts, unions and compares sectors', () => {
    const a = createBitmap(64);
    markSector(a, 0);
    markSector(a, 63);
    const b = createBitmap(64);
    markSector(b, 9);
    expect([hasSector(a, 0), hasSector(a, 1), hasSector(a, 63)]).toEqual([true, false, true]);
    const both = unionBitmaps(a, b);
    expect(countSectors(both)).toBe(3);
    expect(coversBitmap(both, a)).toBe(true);
    expect(coversBitmap(a, both)).toBe(false);
  });
});
