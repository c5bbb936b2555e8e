import { describe, expect, it } from 'vitest';
import { BOOT_PREFETCH_DEFAULTS, bootPrefetchLimits, planBootPrefetch, plannedChunkCount, warmPrefetchLimits, type BootPrefetchLimits } from '@/lib/disk/boot-prefetch';

const limits: BootPrefetchLimits = { ...BOOT_PREFETCH_DEFAULTS, maxChunks: 10_000 };
const CHUNKS = 2048;
const all = () => true;
const plan = (runs: Array<[number, number]>, isMissing: (chunk: number) => boolean = all, options = limits) =>
  planBootPrefetch(runs, CHUNKS, isMissing, options).map(({ firstChunk, chunkCount }) => [firstChunk, chunkCount]);
const covered = (requests: number[][]) => requests.flatMap(([first, count]) => Array.from({ length: count! }, (_, i) => first! + i));

describe('planBootPrefetch', () => {
  it("plans the default image's recorded set in first-read order, the first request small, each next at most twice as large", () => {
    // The set recorded for leaflab-linux: MBR, the boot partition, ext4 metadata and files.
    const runs: Array<[number, number]> = [[0, 1], [16, 119], [400, 1], [402, 3], [401, 1], [549, 1], [516, 33], [706, 1]];
    expect(plan(runs)).toEqual([
      [0, 1],
      [16, 8],
      [24, 16],
      [40, 32],
      [72, 63],
      [400, 5],
      [516, 34],
      [706, 1],
    ]);
  });

  it('fetches every wanted chunk once and nothing else when no gap is small', () => {
    const runs: Array<[number, number]> = [[500, 3], [100, 40], [300, 1], [7, 2]];
    const requests = plan(runs);
    expect(covered(requests).sort((a, b) => a - b)).toEqual(
      [7, 8, ...Array.from({ length: 40 }, (_, i) => 100 + i), 300, 500, 501, 502],
    );
    // Ordered by the first chunk the guest needs from each.
    expect(requests[0]).toEqual([500, 3]);
  });

  it('bridges small gaps within the budget, smallest first, and never large ones', () => {
    // 100 wanted chunks: gaps of 1, 2, 4 and 5 chunks; the budget is 10 chunks, 5 is past the gap limit.
    const runs: Array<[number, number]> = [[0, 20], [21, 20], [43, 20], [67, 20], [92, 20]];
    const requests = plan(runs, all, { ...limits, firstRequestChunks: 1000, maxRequestChunks: 1000 });
    expect(requests).toEqual([[0, 87], [92, 20]]);
    // With a budget of 3 chunks only the gaps of 1 and 2 are bridged.
    const tight = plan(runs, all, { ...limits, firstRequestChunks: 1000, maxRequestChunks: 1000, maxBridgedFraction: 0.03 });
    expect(tight).toEqual([[0, 63], [67, 20], [92, 20]]);
  });

  it('keeps fetched chunks within 1.1x of the wanted ones', () => {
    // Every third chunk: gaps of 2 everywhere, far more than the budget allows.
    const runs = Array.from({ length: 300 }, (_, i) => [i * 3, 1] as [number, number]);
    const fetched = covered(plan(runs)).length;
    expect(fetched).toBeGreaterThan(300);
    expect(fetched).toBeLessThanOrEqual(330);
  });

  it('leaves out chunks that are cached, in flight or all-zero, and chunks outside the disk', () => {
    const missing = (chunk: number) => chunk < 5 || chunk >= 10;
    expect(plan([[0, 20], [4000, 5], [-3, 2]], missing, { ...limits, maxBridgedGapChunks: 0 })).toEqual([[0, 4], [4, 1], [10, 10]]);
    expect(plan([[3, 4]], () => false)).toEqual([]);
  });

  it('plans no more chunks than the cache share holds, keeping the earliest-read ones', () => {
    const requests = plan([[1000, 10], [0, 100]], all, { ...limits, maxChunks: 30 });
    expect(covered(requests).sort((a, b) => a - b)).toEqual([...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 1000 + i)]);
    // 32 MiB of 64 KiB chunks, three quarters of it: 384 chunks.
    expect(bootPrefetchLimits(65536, 32 * 1024 * 1024).maxChunks).toBe(384);
  });

  it('splits a long segment into requests growing up to the largest request', () => {
    const requests = plan([[0, 600]]);
    expect(requests.map(([, count]) => count)).toEqual([4, 8, 16, 32, 64, 128, 128, 128, 92]);
    expect(covered(requests)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });
});

describe('planning the warm set', () => {
  it('uses 2 MiB requests from the first, bridging small gaps as for the boot set', () => {
    // An ascending warm set (as recorded): python3's and git's scattered pieces.
    const runs: Array<[number, number]> = [[900, 2], [903, 1], [1200, 300], [1600, 5]];
    const requests = plan(runs, all, warmPrefetchLimits(limits, 0));
    expect(requests).toEqual([
      [900, 4],
      ...Array.from({ length: 9 }, (_, i) => [1200 + i * 32, 32]),
      [1488, 12],
      [1600, 5],
    ]);
  });

  it('gets only the cache share the boot set left, never less than nothing', () => {
    const bootLimits = bootPrefetchLimits(65536, 32 * 1024 * 1024); // 384 chunks
    const bootPlan = planBootPrefetch([[0, 300]], CHUNKS, all, bootLimits);
    expect(plannedChunkCount(bootPlan)).toBe(300);
    const warm = warmPrefetchLimits(bootLimits, plannedChunkCount(bootPlan));
    expect(warm.maxChunks).toBe(84);
    expect(covered(plan([[1000, 200]], all, warm))).toHaveLength(84);
    expect(warmPrefetchLimits(bootLimits, 500).maxChunks).toBe(0);
    expect(plan([[1000, 200]], all, warmPrefetchLimits(bootLimits, 500))).toEqual([]);
  });
});
