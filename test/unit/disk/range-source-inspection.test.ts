/**
 * Inspection reads (the block map, "Download disk") go around the guest's cache and readahead:
 * they may use what is cached, but never add to it, reorder it, move the readahead window or
 * count as the guest's traffic. They are verified like the guest's reads.
 */
import { describe, expect, it } from 'vitest';
import type { RangeSourceConfig } from '@/lib/disk/range-source';
import {
  patternBytes,
  rangeSourceFailure as failure,
  rangeSourceOn,
  serveDuringTests,
  TEST_CHUNK_BYTES as CHUNK,
  type RangeServer,
} from './helpers/range-server';

/** 64 chunks; chunks 1-2 are all-zero and listed as such. */
const image = patternBytes(CHUNK * 64, 5);
image.fill(0, 1 * CHUNK, 3 * CHUNK);

let server: RangeServer;
serveDuringTests(image, (started) => (server = started));

const source = (overrides: Partial<RangeSourceConfig> = {}) => rangeSourceOn(server, image, { zeroChunks: [[1, 2]], ...overrides });
const requestedChunks = () => server.requests.map(({ start, end }) => [start / CHUNK, (end + 1 - start) / CHUNK]);

describe('RangeSource.readForInspection', () => {
  it('returns exact bytes without caching them or counting them as the guest traffic', async () => {
    const reader = source();
    for (const [offset, length] of [
      [0, 5 * CHUNK],
      [700, 3000],
      [image.length - 256, 256],
    ] as const) {
      expect(await reader.readForInspection(offset, length)).toEqual(image.slice(offset, offset + length));
    }
    const counters = reader.counters;
    expect(counters).toMatchObject({ bytesFetched: 0, requests: 0, cacheHits: 0, chunksCached: 0, prefetches: 0, zeroChunkReads: 0 });
    expect(counters.inspectionRequests).toBe(server.requests.length);
    expect(counters.inspectionBytesFetched).toBe(server.requests.reduce((sum, { start, end }) => sum + end + 1 - start, 0));
    expect(reader.layerOf(0)).toBe('remote');
    // All-zero chunks were never asked for, nothing came from a cache, contiguous chunks share a request.
    expect(requestedChunks()).toEqual([
      [0, 1],
      [3, 2],
      [0, 1],
      [3, 1],
      [63, 1],
    ]);
  });

  it('serves cached chunks without a request and without changing which chunk is evicted next', async () => {
    const reader = source({ zeroChunks: [], cacheBudgetBytes: 2 * CHUNK, maxReadaheadChunks: 1 });
    await reader.read(10 * CHUNK, 512);
    await reader.read(20 * CHUNK, 512); // the cache holds 10 (oldest) and 20
    const { requests, cacheHits } = reader.counters;
    expect(await reader.readForInspection(10 * CHUNK, CHUNK)).toEqual(image.slice(10 * CHUNK, 11 * CHUNK));
    expect(server.requests).toHaveLength(2);
    expect(reader.counters).toMatchObject({ requests, cacheHits, inspectionRequests: 0 });
    await reader.read(30 * CHUNK, 512); // evicts the least recently used guest chunk: still 10
    expect(reader.layerOf(10 * CHUNK)).toBe('remote');
    expect(reader.layerOf(20 * CHUNK)).toBe('cached');
  });

  it('does not move the readahead window between two sequential guest reads', async () => {
    const reader = source({ zeroChunks: [] });
    await reader.read(10 * CHUNK, CHUNK); // random: 1 chunk
    await reader.readForInspection(40 * CHUNK, 2 * CHUNK);
    await reader.read(11 * CHUNK, CHUNK); // still continues the guest's scan: a window of 2
    expect(requestedChunks()).toEqual([
      [10, 1],
      [40, 2],
      [11, 2],
    ]);

    // Nor does an inspection read of the chunk the scan would continue into start readahead.
    const other = source({ zeroChunks: [] });
    server.requests.length = 0;
    await other.readForInspection(50 * CHUNK, 3 * CHUNK);
    expect(other.counters.prefetches).toBe(0);
    expect(requestedChunks()).toEqual([[50, 3]]);
  });

  it('leaves the guest cache intact while the whole image is read', async () => {
    const reader = source({ zeroChunks: [], cacheBudgetBytes: 4 * CHUNK, maxReadaheadChunks: 1 });
    await reader.read(5 * CHUNK, 2 * CHUNK);
    const before = reader.counters;
    const whole = await reader.readForInspection(0, image.length);
    expect(whole).toEqual(image);
    const after = reader.counters;
    expect(after.chunksCached).toBe(before.chunksCached);
    expect(after.bytesFetched).toBe(before.bytesFetched);
    expect(reader.layerOf(5 * CHUNK)).toBe('cached');
    expect(reader.layerOf(6 * CHUNK)).toBe('cached');
    expect(after.inspectionBytesFetched).toBe(image.length - 2 * CHUNK); // the two cached chunks came from memory
  });

  it('is verified like a guest read: an altered chunk is fetched again, and a persistently altered one is an error', async () => {
    const reader = source({ maxRetries: 1 });
    server.misbehave('flip');
    expect(await reader.readForInspection(30 * CHUNK, CHUNK)).toEqual(image.slice(30 * CHUNK, 31 * CHUNK));
    expect(reader.counters.corruptChunks).toBe(1);
    expect(reader.counters.inspectionRequests).toBe(2);
    server.misbehave('flip', 'flip');
    const error = await failure(reader.readForInspection(31 * CHUNK, CHUNK));
    expect(error.kind).toBe('corrupt-chunk');
    expect(reader.counters.chunksCached).toBe(0);
  });

  it('aborts promptly', async () => {
    const reader = source();
    server.misbehave('hang');
    const closed = server.hungRequestClosed();
    const controller = new AbortController();
    const pending = reader.readForInspection(45 * CHUNK, 512, controller.signal);
    setTimeout(() => controller.abort(), 30);
    expect((await failure(pending)).kind).toBe('aborted');
    await closed;
  });
});
