/**
 * RangeSource with a persistent root chunk cache (the in-memory twin of the IndexedDB store)
 * against a real HTTP server: a second reader over the same store reads no byte over the
 * network; damaged stored chunks are dropped and fetched again; a full quota never fails a read;
 * and a run of stored chunks never waits on chunks the store lacks (offline reads).
 */
import { describe, expect, it, vi } from 'vitest';
import type { RangeSourceConfig } from '@/lib/disk/range-source';
import { isLayerChunkKey, layerChunkKey, rootChunkImageKey } from '@/lib/disk/root-chunk-cache';
import { MemoryRootChunkStore } from '@/lib/disk/root-chunk-cache-memory';
import { contiguousRuns } from '@/lib/disk/root-chunk-cache-reader';
import { patternBytes, rangeSourceOn, serveDuringTests, TEST_CHUNK_BYTES, type RangeServer } from './helpers/range-server';

const CHUNK = TEST_CHUNK_BYTES;
const CHUNKS = 64;
const image = patternBytes(CHUNK * CHUNKS - 300, 11); // a short last chunk
const IMAGE_KEY = rootChunkImageKey({ sha256: 'a'.repeat(64), chunkSizeBytes: CHUNK });

let server: RangeServer;
serveDuringTests(image, (started) => (server = started));

async function sourceOver(store: MemoryRootChunkStore, overrides: Partial<RangeSourceConfig> = {}) {
  return rangeSourceOn(server, image, { rootChunkCache: await store.forSource(IMAGE_KEY), ...overrides });
}

/** Lets the cache writes, which wait for a later task, happen. */
const writesSettled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('RangeSource over a persistent root chunk cache', () => {
  it('fills the store after reads, and a second reader over it fetches nothing', async () => {
    const store = new MemoryRootChunkStore();
    const first = await sourceOver(store);
    expect(await first.read(0, 10 * CHUNK)).toEqual(image.slice(0, 10 * CHUNK));
    expect(await first.read(image.length - 700, 700)).toEqual(image.slice(image.length - 700));
    await writesSettled();
    expect(first.counters.rootCacheWrites).toBeGreaterThanOrEqual(11);
    const { chunkCount } = await store.usage();
    expect(chunkCount).toBe(first.counters.rootCacheWrites);

    server.requests.length = 0;
    const second = await sourceOver(store);
    expect(await second.read(0, 10 * CHUNK)).toEqual(image.slice(0, 10 * CHUNK));
    expect(await second.read(image.length - 700, 700)).toEqual(image.slice(image.length - 700));
    expect(server.requests).toEqual([]);
    expect(second.counters.bytesFetched).toBe(0);
    expect(second.counters.requests).toBe(0);
    expect(second.counters.rootCacheHits).toBeGreaterThanOrEqual(11);
    expect(second.counters.rootCacheBytes).toBeGreaterThanOrEqual(10 * CHUNK + 700);
  });

  it('prefetches a boot set partly in the store: the stored chunks come from it, only the rest over the network', async () => {
    const store = new MemoryRootChunkStore();
    await (await sourceOver(store, { maxReadaheadChunks: 1 })).read(4 * CHUNK, 4 * CHUNK); // chunks 4-7 kept
    await writesSettled();

    server.requests.length = 0;
    const reader = await sourceOver(store, { maxReadaheadChunks: 1 });
    reader.prefetchChunks([[2, 10]]); // chunks 2-11: 4-7 stored, 2-3 and 8-11 not
    // The whole set arrives in memory with no guest read asking for it.
    await vi.waitFor(() => expect(reader.readIfCached(2 * CHUNK, 10 * CHUNK)).toEqual(image.slice(2 * CHUNK, 12 * CHUNK)), { timeout: 5000 });
    expect(reader.counters.rootCacheHits).toBe(4);
    const fetchedChunks = server.requests.map(({ start, end }) => [start / CHUNK, (end + 1) / CHUNK]);
    expect(fetchedChunks.filter(([first]) => first !== undefined && first >= 4 && first < 8)).toEqual([]);
    expect(reader.counters.prefetchedChunks).toBe(10);
    expect(reader.counters.prefetchedChunksUsed).toBe(10);
  });

  it('drops a stored chunk that no longer matches the chunk table, fetches it again and counts it', async () => {
    const store = new MemoryRootChunkStore();
    await (await sourceOver(store, { maxReadaheadChunks: 1 })).read(0, 4 * CHUNK);
    await writesSettled();
    store.damage(IMAGE_KEY, 2);

    server.requests.length = 0;
    const reader = await sourceOver(store, { maxReadaheadChunks: 1 });
    expect(await reader.read(0, 4 * CHUNK)).toEqual(image.slice(0, 4 * CHUNK));
    expect(reader.counters.rootCacheCorruptChunks).toBe(1);
    expect(reader.counters.rootCacheHits).toBe(3);
    expect(server.requests).toEqual([{ start: 2 * CHUNK, end: 3 * CHUNK - 1 }]);
    await writesSettled();
    // The good copy fetched again replaced the damaged one.
    const third = await sourceOver(store, { maxReadaheadChunks: 1 });
    expect(await third.read(2 * CHUNK, CHUNK)).toEqual(image.slice(2 * CHUNK, 3 * CHUNK));
    expect(third.counters.rootCacheCorruptChunks).toBe(0);
    expect(third.counters.rootCacheHits).toBe(1);
  });

  it('a full quota never fails a read: the cache stops growing and says so', async () => {
    const store = new MemoryRootChunkStore({ quotaBytes: 3 * CHUNK });
    const reader = await sourceOver(store, { maxReadaheadChunks: 2 });
    for (let chunkIndex = 0; chunkIndex < 12; chunkIndex += 1) {
      expect(await reader.read(chunkIndex * CHUNK, CHUNK)).toEqual(image.slice(chunkIndex * CHUNK, (chunkIndex + 1) * CHUNK));
      await writesSettled();
    }
    expect(reader.counters.rootCacheNotice).toMatch(/quota is full/);
    expect((await store.usage()).storedBytes).toBeLessThanOrEqual(3 * CHUNK);
  });

  it('a run of stored chunks never waits on chunks the store lacks, so reads work with the server gone', async () => {
    const store = new MemoryRootChunkStore();
    await (await sourceOver(store, { maxReadaheadChunks: 1 })).read(20 * CHUNK, 4 * CHUNK);
    await writesSettled();
    const offlineFetch: typeof fetch = (input) =>
      String(input).includes('chunks') ? fetch(input) : Promise.reject(new TypeError('Failed to fetch (the server is stopped)'));
    const reader = await sourceOver(store, { maxReadaheadChunks: 16, maxRetries: 0, fetch: offlineFetch });
    // Sequential reads grow the readahead window past chunk 23, which the store lacks.
    for (let chunkIndex = 20; chunkIndex < 24; chunkIndex += 1) {
      expect(await reader.read(chunkIndex * CHUNK, CHUNK)).toEqual(image.slice(chunkIndex * CHUNK, (chunkIndex + 1) * CHUNK));
    }
    expect(reader.counters.rootCacheHits).toBe(4);
    await expect(reader.read(30 * CHUNK, 512)).rejects.toThrow(/Failed to fetch|reach/);
  });

  it('evicts the least recently used chunks across images to stay within the budget', async () => {
    const store = new MemoryRootChunkStore({ budgetBytes: 4 * CHUNK });
    const imageA = await store.forSource('image-a/1024');
    const imageB = await store.forSource('image-b/1024');
    const chunk = (seed: number) => patternBytes(CHUNK, seed);
    await imageA.put([
      [0, chunk(1)],
      [1, chunk(2)],
    ]);
    await imageB.put([[0, chunk(3)]]);
    await imageA.get([0]); // A's chunk 0 is now more recent than A's 1 and B's 0
    await imageB.put([
      [1, chunk(4)],
      [2, chunk(5)],
    ]);
    expect(imageA.holds(1)).toBe(false);
    expect([imageA.holds(0), imageB.holds(0), imageB.holds(1), imageB.holds(2)]).toEqual([true, true, true, true]);
    expect(await store.usage()).toEqual({ storedBytes: 4 * CHUNK, chunkCount: 4, budgetBytes: 4 * CHUNK, imageCount: 2, layerCount: 0 });
    await store.setBudget(2 * CHUNK);
    expect(await store.usage()).toMatchObject({ storedBytes: 2 * CHUNK, chunkCount: 2 });
    expect([imageB.holds(1), imageB.holds(2)]).toEqual([true, true]);
  });

  it('keeps root images and published layers under keys of distinct kinds, even for equal hashes', async () => {
    const sha = 'c'.repeat(64);
    const rootKey = rootChunkImageKey({ sha256: sha, chunkSizeBytes: CHUNK });
    const layerKey = layerChunkKey({ id: sha, chunkSizeBytes: CHUNK });
    expect(layerKey).not.toBe(rootKey);
    expect([isLayerChunkKey(rootKey), isLayerChunkKey(layerKey)]).toEqual([false, true]);
    const store = new MemoryRootChunkStore();
    await (await store.forSource(rootKey)).put([[0, patternBytes(CHUNK, 1)]]);
    const layer = await store.forSource(layerKey);
    expect(layer.holds(0)).toBe(false);
    await layer.put([[0, patternBytes(CHUNK, 2)]]);
    expect((await layer.get([0])).get(0)).toEqual(patternBytes(CHUNK, 2));
    expect(await store.usage()).toMatchObject({ chunkCount: 2, imageCount: 1, layerCount: 1 });
  });

  it('clearing empties the store; readers then fetch again', async () => {
    const store = new MemoryRootChunkStore();
    await (await sourceOver(store)).read(0, 2 * CHUNK);
    await writesSettled();
    await store.clear();
    expect(await store.usage()).toMatchObject({ storedBytes: 0, chunkCount: 0 });
    server.requests.length = 0;
    const reader = await sourceOver(store);
    expect(await reader.read(0, 2 * CHUNK)).toEqual(image.slice(0, 2 * CHUNK));
    expect(server.requests.length).toBeGreaterThan(0);
    expect(reader.counters.rootCacheHits).toBe(0);
  });
});

describe('contiguousRuns', () => {
  it('groups sorted indexes into runs', () => {
    expect(contiguousRuns([])).toEqual([]);
    expect(contiguousRuns([3, 4, 5, 9, 11, 12])).toEqual([
      [3, 3],
      [9, 1],
      [11, 2],
    ]);
  });
});
