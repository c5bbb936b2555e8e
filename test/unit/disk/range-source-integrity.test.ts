/**
 * Per-chunk integrity: every chunk the range source hands out hashes to its entry in the
 * image's chunk table, whatever the server or a proxy sends (issue #11, "end-to-end integrity").
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

/** 40 chunks and a half: the last chunk is short, and its digest covers only its 512 bytes. Chunks 1-2 are all-zero. */
const image = patternBytes(CHUNK * 40 + 512, 11);
image.fill(0, 1 * CHUNK, 3 * CHUNK);

let server: RangeServer;
serveDuringTests(image, (started) => (server = started));

const source = (overrides: Partial<RangeSourceConfig> = {}) =>
  rangeSourceOn(server, image, { zeroChunks: [[1, 2]], maxReadaheadChunks: 1, ...overrides });

describe('RangeSource verifies every chunk against the chunk table', () => {
  it('fetches the table once, alongside the first chunk, and counts its traffic apart from the guest', async () => {
    const tableRequests = server.tableRequests;
    const reader = source();
    const [first, second] = await Promise.all([reader.read(0, 512), reader.read(20 * CHUNK, 512)]);
    expect(first).toEqual(image.slice(0, 512));
    expect(second).toEqual(image.slice(20 * CHUNK, 20 * CHUNK + 512));
    expect(await reader.read(image.length - 512, 512)).toEqual(image.slice(image.length - 512));
    expect(server.tableRequests - tableRequests).toBe(1);
    const counters = reader.counters;
    expect(counters.chunkTableRequests).toBe(1);
    expect(counters.chunkTableBytesFetched).toBe(41 * 32);
    expect(counters.requests).toBe(3); // image requests only
    expect(counters.bytesFetched).toBe(2 * CHUNK + 512);
    expect(counters.corruptChunks).toBe(0);
  });

  it('never needs the table for chunks the manifest lists as all-zero', async () => {
    const tableRequests = server.tableRequests;
    const reader = source();
    expect(await reader.read(1 * CHUNK, 2 * CHUNK)).toEqual(new Uint8Array(2 * CHUNK));
    expect(server.tableRequests).toBe(tableRequests);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses an altered chunk, fetches it again bypassing the HTTP cache, and returns the right bytes', async () => {
    const cacheModes: Array<RequestCache | undefined> = [];
    const reader = source({
      fetch: (input, init) => {
        if (String(input) === server.url) cacheModes.push(init?.cache);
        return fetch(input, init);
      },
    });
    server.misbehave('flip');
    expect(await reader.read(7 * CHUNK, CHUNK)).toEqual(image.slice(7 * CHUNK, 8 * CHUNK));
    expect(reader.counters.corruptChunks).toBe(1);
    expect(reader.counters.retries).toBe(1);
    expect(server.requests).toHaveLength(2);
    // The altered reply may sit in the browser's cache; the retry must not be served from it.
    expect(cacheModes).toEqual(['no-store', 'reload']); // root chunks never go through the HTTP cache (range-fetch.ts)
    expect(reader.readIfCached(7 * CHUNK, CHUNK)).toEqual(image.slice(7 * CHUNK, 8 * CHUNK));
  });

  it('gives up with a clear corrupt-chunk error naming the chunk, and never caches or returns the bytes', async () => {
    const reader = source({ maxRetries: 2 });
    server.misbehave('flip', 'flip', 'flip');
    const error = await failure(reader.read(9 * CHUNK + 100, 200));
    expect(error.kind).toBe('corrupt-chunk');
    expect(error.message).toContain(`Chunk 9 of ${server.url} (bytes ${9 * CHUNK}-${10 * CHUNK - 1})`);
    expect(error.message).toContain('the server or a proxy altered the image');
    expect(error.message).toContain('gave up after 2 retries');
    expect(server.requests).toHaveLength(3);
    expect(reader.counters.corruptChunks).toBe(3);
    expect(reader.layerOf(9 * CHUNK)).toBe('remote');
    expect(reader.counters.chunksCached).toBe(0);
    // The next read tries afresh, and a clean reply is accepted.
    expect(await reader.read(9 * CHUNK + 100, 200)).toEqual(image.slice(9 * CHUNK + 100, 9 * CHUNK + 300));
  });

  it('refuses a whole multi-chunk run when one of its chunks is altered, naming that chunk', async () => {
    const reader = source({ maxReadaheadChunks: 8, maxRetries: 0 });
    server.misbehave('flip'); // the last byte of the reply: chunk 14 of the run 10-14
    const error = await failure(reader.read(10 * CHUNK, 5 * CHUNK));
    expect(error.kind).toBe('corrupt-chunk');
    expect(error.message).toMatch(/^Chunk 14 of /);
    expect(reader.counters.chunksCached).toBe(0);
  });

  it('verifies the short last chunk against the digest of its bytes only', async () => {
    const reader = source();
    server.misbehave('flip');
    expect(await reader.read(40 * CHUNK, 512)).toEqual(image.slice(40 * CHUNK));
    expect(reader.counters.corruptChunks).toBe(1);
  });

  it('retries a table that fails with a 5xx, a broken connection or altered bytes', async () => {
    const reader = source();
    server.misbehaveTable('status-503', 'destroy', 'flip');
    expect(await reader.read(4 * CHUNK, 512)).toEqual(image.slice(4 * CHUNK, 4 * CHUNK + 512));
    expect(reader.counters.chunkTableRequests).toBe(4);
  });

  it('stops with a clear error when the table stays altered, and hands out no chunk', async () => {
    const reader = source({ maxRetries: 1 });
    server.misbehaveTable('flip', 'flip');
    const error = await failure(reader.read(4 * CHUNK, 512));
    expect(error.kind).toBe('bad-chunk-table');
    expect(error.message).toContain(server.chunkDigests(CHUNK).sha256);
    expect(error.message).toContain('the server or a proxy altered it');
    expect(error.message).toContain('gave up after 1 retry');
    expect(reader.counters.chunksCached).toBe(0);
    // Not retried again by the chunk's own retry loop: two table requests in all.
    expect(reader.counters.chunkTableRequests).toBe(2);
    // A later read fetches the table again, and recovers.
    expect(await reader.read(4 * CHUNK, 512)).toEqual(image.slice(4 * CHUNK, 4 * CHUNK + 512));
  });

  it('refuses a table of the wrong length, and does not retry a 404', async () => {
    const reader = source({ maxRetries: 0 });
    server.misbehaveTable('truncated');
    const short = await failure(reader.read(4 * CHUNK, 512));
    expect(short.kind).toBe('bad-chunk-table');
    expect(short.message).toContain(`${41 * 32}-byte chunk table`);

    const missing = source();
    server.misbehaveTable('status-404');
    const error = await failure(missing.read(4 * CHUNK, 512));
    expect(error.kind).toBe('http-status');
    expect(error.message).toMatch(/chunk table .* failed with HTTP 404/);
    expect(missing.counters.chunkTableRequests).toBe(1);
  });

  it('refuses a malformed table digest in its config', () => {
    expect(() => source({ chunkDigests: { url: server.url, sha256: 'abc' } })).toThrow(/64 lower-case hex/);
  });
});
