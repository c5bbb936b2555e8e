/**
 * RangeSource.prefetchChunks with a warm set, against a real HTTP server: the warm set is
 * requested only once every boot-set request has finished, one merged request at a time, within
 * the cache share the boot set leaves, never again for what the guest already read; its chunks
 * fetched and used show in the counters.
 */
import { describe, expect, it } from 'vitest';
import type { RangeSource } from '@/lib/disk/range-source';
import { patternBytes, rangeSourceOn, serveDuringTests, TEST_CHUNK_BYTES, type RangeServer } from './helpers/range-server';

const CHUNK = TEST_CHUNK_BYTES;
const CHUNKS = 256;
const image = patternBytes(CHUNK * CHUNKS, 23);

let server: RangeServer;
serveDuringTests(image, (started) => (server = started));

const requestedChunks = () => server.requests.map(({ start, end }) => [start / CHUNK, (end + 1 - start) / CHUNK]);
const bootRuns: Array<[number, number]> = [[0, 1], [20, 10]];
const warmRuns: Array<[number, number]> = [[100, 8], [150, 2]];

async function untilWarmSetFetched(reader: RangeSource, chunks: number): Promise<void> {
  for (let waitedMs = 0; reader.counters.warmSetChunksFetched < chunks || reader.counters.chunksCached < reader.counters.prefetchedChunks + chunks; waitedMs += 10) {
    if (waitedMs > 5000) throw new Error(`warm set not fetched after 5 s: ${JSON.stringify(reader.counters)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RangeSource.prefetchChunks with a warm set', () => {
  it('requests the warm set after the boot set, in merged requests, and its reads then send none', async () => {
    const reader = rangeSourceOn(server, image, { maxReadaheadChunks: 1 });
    expect(reader.prefetchChunks(bootRuns, warmRuns)).toBe(3);
    expect(reader.counters.warmSetChunksFetched).toBe(0); // nothing before the boot set is in
    await untilWarmSetFetched(reader, 10);
    expect(requestedChunks()).toEqual([
      [0, 1],
      [20, 8],
      [28, 2],
      [100, 8],
      [150, 2],
    ]);
    expect(await reader.read(100 * CHUNK, 8 * CHUNK)).toEqual(image.slice(100 * CHUNK, 108 * CHUNK));
    expect(server.requests).toHaveLength(5);
    expect(reader.counters).toMatchObject({ prefetchedChunks: 11, warmSetChunksFetched: 10, warmSetChunksUsed: 8 });
  });

  it('waits while a boot-set request is still on its way', async () => {
    const reader = rangeSourceOn(server, image, { maxReadaheadChunks: 1 });
    server.misbehave('hang'); // the MBR's request never answers
    reader.prefetchChunks(bootRuns, warmRuns);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requestedChunks().filter(([first]) => first! >= 100)).toEqual([]);
    expect(reader.counters.warmSetChunksFetched).toBe(0);
  });

  it('leaves out what the guest read meanwhile, and stays within the cache share the boot set leaves', async () => {
    // 40 chunks of cache: 75 % is 30 chunks, 11 go to the boot set, so 19 to the warm set.
    const reader = rangeSourceOn(server, image, { maxReadaheadChunks: 1, cacheBudgetBytes: 40 * CHUNK });
    await reader.read(100 * CHUNK, CHUNK);
    server.requests.length = 0;
    reader.prefetchChunks(bootRuns, [[100, 30]]);
    await untilWarmSetFetched(reader, 19);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestedChunks().slice(3)).toEqual([[101, 19]]);
    expect(reader.counters.warmSetChunksFetched).toBe(19);
  });

  it('without a boot set, requests the warm set at once', async () => {
    const reader = rangeSourceOn(server, image, { maxReadaheadChunks: 1 });
    expect(reader.prefetchChunks([], [[60, 4]])).toBe(0);
    await untilWarmSetFetched(reader, 4);
    expect(requestedChunks()).toEqual([[60, 4]]);
  });
});
