import { describe, expect, it } from 'vitest';
import type { RangeSourceConfig } from '@/lib/disk/range-source';
import {
  patternBytes,
  rangeSourceFailure,
  rangeSourceOn,
  serveDuringTests,
  TEST_CHUNK_BYTES,
  type RangeServer,
} from './helpers/range-server';

const CHUNK = TEST_CHUNK_BYTES;
const CHUNKS = 64;
/** Chunks 1 and 2 are all zero and listed as such; chunk 5 is zero but NOT listed. */
const image = patternBytes(CHUNK * CHUNKS, 7);
image.fill(0, 1 * CHUNK, 3 * CHUNK);
image.fill(0, 5 * CHUNK, 6 * CHUNK);

let server: RangeServer;
serveDuringTests(image, (started) => (server = started));

const source = (overrides: Partial<RangeSourceConfig> = {}) => rangeSourceOn(server, image, { zeroChunks: [[1, 2]], ...overrides });
const failure = rangeSourceFailure;

const requestedChunks = () => server.requests.map(({ start, end }) => [start / CHUNK, (end + 1 - start) / CHUNK]);

describe('RangeSource against a real HTTP server', () => {
  it('returns the exact bytes of arbitrary ranges, across chunk boundaries and up to the end', async () => {
    const reader = source();
    for (const [offset, length] of [
      [0, 512],
      [700, 3000],
      [CHUNK * 3 - 256, 512],
      [image.length - 256, 256],
      [CHUNK * 10 + 5, 1],
      [0, image.length],
    ] as const) {
      expect(await reader.read(offset, length)).toEqual(image.slice(offset, offset + length));
    }
  });

  it('never requests chunks the manifest lists as zero, and counts them', async () => {
    const reader = source({ maxReadaheadChunks: 1 });
    const bytes = await reader.read(0, 4 * CHUNK);
    expect(bytes).toEqual(image.slice(0, 4 * CHUNK));
    expect(requestedChunks()).toEqual([
      [0, 1],
      [3, 1],
    ]);
    expect(reader.counters.zeroChunkReads).toBe(2);
    expect(reader.layerOf(CHUNK + 10)).toBe('zero');
    expect(reader.layerOf(0)).toBe('cached');
    expect(reader.layerOf(40 * CHUNK)).toBe('remote');
  });

  it('shares one request between concurrent reads of the same chunk', async () => {
    const reader = source();
    const reads = await Promise.all([reader.read(10 * CHUNK, 512), reader.read(10 * CHUNK + 512, 512), reader.read(10 * CHUNK, 256)]);
    expect(server.requests).toHaveLength(1);
    expect(reads[1]).toEqual(image.slice(10 * CHUNK + 512, 11 * CHUNK));
    expect(reader.counters.requests).toBe(1);
  });

  it('counts a chunk covered by an in-flight readahead run as in flight', async () => {
    const reader = source();
    await reader.read(20 * CHUNK, CHUNK); // random: 1 chunk
    const first = reader.read(21 * CHUNK, CHUNK); // sequential: run of 2 chunks (21-22)
    const second = reader.read(22 * CHUNK, 512); // chunk 22 is in that run
    await Promise.all([first, second]);
    expect(requestedChunks().slice(0, 2)).toEqual([
      [20, 1],
      [21, 2],
    ]);
    // No other request asked for chunk 22 again (later ones are readahead beyond it).
    expect(requestedChunks().slice(2).every(([start]) => start! > 22)).toBe(true);
    expect(await second).toEqual(image.slice(22 * CHUNK, 22 * CHUNK + 512));
  });

  it('grows readahead on a sequential scan up to the cap, prefetching ahead, and keeps random reads at one chunk', async () => {
    const reader = source({ zeroChunks: [], maxReadaheadChunks: 8 });
    for (let offset = 0; offset < 40 * CHUNK; offset += 512) {
      expect(await reader.read(offset, 512)).toEqual(image.slice(offset, offset + 512));
    }
    const runs = requestedChunks().map(([, count]) => count!);
    // The window doubles from 1 up to the cap of 8 and stays there.
    expect(runs.slice(0, 4)).toEqual([1, 2, 4, 8]);
    expect(runs.every((count) => count <= 8)).toBe(true);
    // Prefetching runs at most one window past the end of the scan, and most reads were
    // answered from memory rather than by a request of their own.
    const chunksFetched = runs.reduce((sum, count) => sum + count, 0);
    expect(chunksFetched).toBeGreaterThanOrEqual(40);
    expect(chunksFetched).toBeLessThanOrEqual(40 + 8);
    expect(reader.counters.prefetches).toBeGreaterThan(0);
    expect(runs.length).toBeLessThanOrEqual(9);

    server.requests.length = 0;
    const random = source({ zeroChunks: [], maxReadaheadChunks: 8 });
    for (const chunk of [50, 3, 60, 10, 33, 7]) await random.read(chunk * CHUNK, 512);
    expect(requestedChunks()).toEqual([50, 3, 60, 10, 33, 7].map((chunk) => [chunk, 1]));
    expect(random.counters.prefetches).toBe(0);
  });

  it('pinned: a random read served from the cache resets the readahead window (no 16-chunk prefetch nobody asked for)', async () => {
    const reader = source({ zeroChunks: [], maxReadaheadChunks: 16 });
    await reader.read(40 * CHUNK, 512); // random, uncached: one chunk, now cached
    for (let offset = 0; offset < 16 * CHUNK; offset += 512) await reader.read(offset, 512); // the window grows to 16
    expect(requestedChunks().some(([, count]) => count === 16)).toBe(true);
    const requestsBefore = server.requests.length;
    const { requests: clientRequestsBefore, prefetches: prefetchesBefore } = reader.counters;

    // Back to chunk 40: a random read answered from the cache. Before the fix the grown window
    // survived it and chunks 41-56 were prefetched.
    expect(await reader.read(40 * CHUNK + 512, 512)).toEqual(image.slice(40 * CHUNK + 512, 41 * CHUNK));
    expect(reader.readIfCached(40 * CHUNK, 512)).toEqual(image.slice(40 * CHUNK, 40 * CHUNK + 512));
    expect(reader.counters.requests).toBe(clientRequestsBefore); // counted when sent, so nothing is on its way
    expect(reader.counters.prefetches).toBe(prefetchesBefore);

    // And the next miss after it starts small again: chunk 41 continues from 40, so a window of 2.
    await reader.read(41 * CHUNK, 512);
    expect(requestedChunks().slice(requestsBefore)[0]).toEqual([41, 2]);
  });

  it('answers synchronously only what is already in memory', async () => {
    const reader = source({ maxReadaheadChunks: 1 });
    expect(reader.readIfCached(10 * CHUNK, 512)).toBeUndefined();
    expect(server.requests).toHaveLength(0); // asking never fetches
    await reader.read(10 * CHUNK, CHUNK);
    expect(reader.readIfCached(10 * CHUNK + 256, 512)).toEqual(image.slice(10 * CHUNK + 256, 10 * CHUNK + 768));
    // Zero chunks are always "in memory"; a range reaching into an uncached chunk is not.
    expect(reader.readIfCached(1 * CHUNK, 2 * CHUNK)).toEqual(new Uint8Array(2 * CHUNK));
    expect(reader.readIfCached(10 * CHUNK, 2 * CHUNK)).toBeUndefined();
  });

  it('keeps its LRU cache under the byte budget', async () => {
    const reader = source({ zeroChunks: [], cacheBudgetBytes: 4 * CHUNK, maxReadaheadChunks: 4 });
    for (let chunk = 0; chunk < CHUNKS; chunk += 3) {
      await reader.read(chunk * CHUNK, 256);
      expect(reader.counters.cachedBytes).toBeLessThanOrEqual(4 * CHUNK);
    }
    expect(reader.counters.chunksCached).toBeLessThanOrEqual(4);
    // Most recently used chunks survive: re-reading the last one is a cache hit.
    const hits = reader.counters.cacheHits;
    await reader.read(63 * CHUNK, 256);
    expect(reader.counters.cacheHits).toBe(hits + 1);
  });

  it('retries 5xx with backoff and counts it', async () => {
    const reader = source();
    server.misbehave('status-503', 'status-503');
    expect(await reader.read(30 * CHUNK, 512)).toEqual(image.slice(30 * CHUNK, 30 * CHUNK + 512));
    expect(reader.counters.retries).toBe(2);
    expect(reader.counters.requests).toBe(3);
  });

  it('gives up after maxRetries and says so', async () => {
    const reader = source({ maxRetries: 2 });
    server.misbehave('status-503', 'status-503', 'status-503');
    const error = await failure(reader.read(30 * CHUNK, 512));
    expect(error.kind).toBe('http-status');
    expect(error.status).toBe(503);
    expect(error.message).toContain('gave up after 2 retries');
    expect(server.requests).toHaveLength(3);
  });

  it('retries a destroyed connection (network error) and then succeeds', async () => {
    const reader = source();
    server.misbehave('destroy');
    expect(await reader.read(31 * CHUNK, 512)).toEqual(image.slice(31 * CHUNK, 31 * CHUNK + 512));
    expect(reader.counters.retries).toBe(1);
  });

  it('does not retry a 4xx', async () => {
    const reader = source();
    server.misbehave('status-404');
    const error = await failure(reader.read(0, 512));
    expect(error.kind).toBe('http-status');
    expect(error.message).toContain(server.url);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a 200 reply to a range request, never using it as data', async () => {
    const reader = source();
    server.misbehave('full-200');
    const error = await failure(reader.read(0, 512));
    expect(error.kind).toBe('not-partial');
    expect(error.message).toMatch(/200 OK.*bytes 0-1023/);
    expect(server.requests).toHaveLength(1); // not retried
    expect(reader.counters.chunksCached).toBe(0);
  });

  it('reports a 200 under another ETag as the image having changed (an If-Range revalidation failed)', async () => {
    const reader = source();
    server.misbehave('full-200-other-etag');
    const error = await failure(reader.read(0, 512));
    expect(error.kind).toBe('etag-changed');
    expect(error.message).toContain('"sha256-other"');
    // Without a pinned validator (another host, nothing read yet), a 200 is just a 200.
    server.misbehave('full-200-other-etag');
    expect((await failure(source({ etag: undefined }).read(0, 512))).kind).toBe('not-partial');
  });

  it('rejects a reply with another Content-Range than asked for', async () => {
    const reader = source();
    server.misbehave('wrong-range');
    const error = await failure(reader.read(0, 512));
    expect(error.kind).toBe('wrong-range');
    expect(error.message).toContain(`bytes 0-1023/${image.length}`);
    expect(error.message).toContain('bytes 512-1535');
  });

  it('explains a missing Content-Range with the CORS expose-headers hint', async () => {
    const reader = source();
    server.misbehave('no-content-range');
    const error = await failure(reader.read(0, 512));
    expect(error.kind).toBe('wrong-range');
    expect(error.message).toContain('Access-Control-Expose-Headers');
  });

  it('rejects a changed (or weakened) ETag', async () => {
    const reader = source();
    server.misbehave('other-etag', 'weak-etag');
    const error = await failure(reader.read(0, 512));
    expect(error.kind).toBe('etag-changed');
    expect(error.message).toContain('"sha256-other"');
    expect(error.message).toContain(server.etag);
    expect((await failure(reader.read(0, 512))).kind).toBe('etag-changed');
    expect(server.requests).toHaveLength(2);
  });

  it('pins the first ETag of a host whose validator the manifest cannot know, and rejects a change', async () => {
    const reader = source({ etag: undefined, maxReadaheadChunks: 1 });
    expect(await reader.read(0, 512)).toEqual(image.slice(0, 512));
    server.misbehave('other-etag');
    const error = await failure(reader.read(20 * CHUNK, 512));
    expect(error.kind).toBe('etag-changed');
    expect(error.message).toContain(server.etag);
    // A weak first validator cannot promise the bytes stay the same.
    server.misbehave('weak-etag');
    expect((await failure(source({ etag: undefined }).read(0, 512))).kind).toBe('etag-changed');
  });

  it('rejects a truncated or overlong body', async () => {
    const reader = source();
    server.misbehave('truncated', 'long-body');
    const short = await failure(reader.read(0, 512));
    expect(short.kind).toBe('short-body');
    expect(short.message).toContain('924 bytes');
    expect((await failure(reader.read(0, 512))).kind).toBe('short-body');
    expect(reader.counters.chunksCached).toBe(0);
  });

  it('aborts a slow reply promptly and cancels the request', async () => {
    const reader = source();
    server.misbehave('hang');
    const closed = server.hungRequestClosed();
    const controller = new AbortController();
    const pending = reader.read(40 * CHUNK, 512, controller.signal);
    setTimeout(() => controller.abort(), 30);
    const error = await failure(pending);
    expect(error.kind).toBe('aborted');
    await closed; // the client really dropped the connection
    // A later read of the same chunk starts afresh and succeeds.
    expect(await reader.read(40 * CHUNK, 512)).toEqual(image.slice(40 * CHUNK, 40 * CHUNK + 512));
  });

  it("keeps a shared request alive when only one of its readers aborts", async () => {
    const reader = source();
    const controller = new AbortController();
    const aborted = reader.read(45 * CHUNK, 512, controller.signal);
    const other = reader.read(45 * CHUNK, 512);
    controller.abort();
    expect((await failure(aborted)).kind).toBe('aborted');
    expect(await other).toEqual(image.slice(45 * CHUNK, 45 * CHUNK + 512));
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a weak or unquoted ETag in its config', () => {
    expect(() => source({ etag: 'W/"x"' })).toThrow(/strong ETag/);
    expect(() => source({ etag: 'sha256-x' })).toThrow(/strong ETag/);
  });
});
