/**
 * RangeSource.prefetchChunks against a real HTTP server: the boot working set arrives in the
 * planned requests, verified against the chunk table, and the guest's reads of it then cost no
 * request; what was prefetched and used or not shows in the counters.
 */
import { describe, expect, it } from 'vitest';
import { patternBytes, rangeSourceOn, serveDuringTests, TEST_CHUNK_BYTES, type RangeServer } from './helpers/range-server';

const CHUNK = TEST_CHUNK_BYTES;
const CHUNKS = 256;
const image = patternBytes(CHUNK * CHUNKS, 11);
image.fill(0, 100 * CHUNK, 110 * CHUNK);

let server: RangeServer;
serveDuringTests(image, (started) => (server = started));

const source = () => rangeSourceOn(server, image, { zeroChunks: [[100, 10]], maxReadaheadChunks: 1 });
const requestedChunks = () => server.requests.map(({ start, end }) => [start / CHUNK, (end + 1 - start) / CHUNK]);
/** A boot set: chunk 0, then 20..59, then 200..203 read backwards. */
const bootRuns: Array<[number, number]> = [[0, 1], [20, 40], [203, 1], [202, 1], [201, 1], [200, 1]];

describe('RangeSource.prefetchChunks', () => {
  it('fetches the set in the planned requests, and the reads of it then send none', async () => {
    const reader = source();
    expect(reader.prefetchChunks(bootRuns)).toBe(5);
    expect(requestedChunks()).toEqual([]); // requests are on their way; none has arrived
    const reads = [reader.read(0, 512), reader.read(20 * CHUNK, 40 * CHUNK), reader.read(200 * CHUNK + 7, 4 * CHUNK - 7)];
    const [mbr, files, last] = await Promise.all(reads);
    expect(mbr).toEqual(image.slice(0, 512));
    expect(files).toEqual(image.slice(20 * CHUNK, 60 * CHUNK));
    expect(last).toEqual(image.slice(200 * CHUNK + 7, 204 * CHUNK));
    expect(requestedChunks().sort((a, b) => a[0]! - b[0]!)).toEqual([
      [0, 1],
      [20, 8],
      [28, 16],
      [44, 16],
      [200, 4],
    ]);
    expect(reader.counters.requests).toBe(5);
    expect(reader.counters).toMatchObject({ prefetchedChunks: 45, prefetchedChunksUsed: 45, prefetchedChunksUnused: 0, corruptChunks: 0 });
  });

  it('lets a guest read join a prefetch request on its way instead of fetching the chunk again', async () => {
    const reader = source();
    reader.prefetchChunks([[30, 10]]);
    expect(await reader.read(35 * CHUNK, 512)).toEqual(image.slice(35 * CHUNK, 35 * CHUNK + 512));
    expect(requestedChunks()).toEqual([
      [30, 4],
      [34, 6],
    ]);
    expect(reader.counters).toMatchObject({ prefetchedChunks: 10, prefetchedChunksUsed: 1, prefetchedChunksUnused: 9 });
  });

  it('skips chunks already cached and all-zero ones', async () => {
    const reader = source();
    await reader.read(50 * CHUNK, 2 * CHUNK);
    server.requests.length = 0;
    reader.prefetchChunks([[50, 4], [100, 10]]);
    await reader.read(50 * CHUNK, 4 * CHUNK);
    expect(requestedChunks()).toEqual([[52, 2]]);
    expect(reader.counters.prefetchedChunks).toBe(2);
  });

  it('checks prefetched chunks against the chunk table like every other: altered bytes are fetched again, never used', async () => {
    const reader = source();
    server.misbehave('flip');
    reader.prefetchChunks([[70, 3]]);
    expect(await reader.read(70 * CHUNK, 3 * CHUNK)).toEqual(image.slice(70 * CHUNK, 73 * CHUNK));
    expect(reader.counters.corruptChunks).toBe(1);
    expect(requestedChunks()).toEqual([
      [70, 3],
      [70, 3],
    ]);
  });
});
