/**
 * The chunk table's verification in Chromium, where it runs for real: Web Crypto's digest of
 * views into a run's buffer, and the plain TypeScript fallback for insecure contexts. Also
 * prints what hashing costs (bytes/s), since every fetched byte is hashed once before the
 * guest sees it.
 */
import { describe, expect, it } from 'vitest';
import { ChunkDigestTable } from '@/lib/disk/chunk-digest-table';
import { sha256, toHex } from '@/lib/disk/sha256';
import { sha256Js } from '@/lib/disk/sha256-js';
import { patternBytes } from '../unit/disk/helpers/bytes';

const CHUNK = 64 * 1024;

async function tableFor(image: Uint8Array): Promise<{ table: ChunkDigestTable; bytes: Uint8Array }> {
  const chunkCount = Math.ceil(image.length / CHUNK);
  const bytes = new Uint8Array(chunkCount * 32);
  for (let i = 0; i < chunkCount; i += 1) bytes.set(sha256Js(image.subarray(i * CHUNK, (i + 1) * CHUNK)), i * 32);
  const table = await ChunkDigestTable.fromBytes(bytes, { sizeBytes: image.length, chunkSizeBytes: CHUNK }, toHex(await sha256(bytes)), 'test table');
  return { table, bytes };
}

function mibPerSecond(bytes: number, ms: number): string {
  return ((bytes / (1024 * 1024)) / (ms / 1000)).toFixed(0);
}

describe('ChunkDigestTable in Chromium', () => {
  it('uses Web Crypto here, and it agrees with the fallback', async () => {
    expect(navigator.userAgent).toContain('Chrome/');
    expect(globalThis.crypto.subtle).toBeDefined();
    const bytes = patternBytes(3 * CHUNK + 100, 4);
    expect(toHex(await sha256(bytes.subarray(CHUNK, 2 * CHUNK + 7)))).toBe(toHex(sha256Js(bytes.subarray(CHUNK, 2 * CHUNK + 7))));
  });

  it('finds exactly the altered chunks of a run, including a short last chunk', async () => {
    const image = patternBytes(16 * CHUNK + 512, 8);
    const { table } = await tableFor(image);
    expect(await table.mismatchedChunks(0, image, CHUNK)).toEqual([]);
    const run = image.slice(10 * CHUNK); // chunks 10-16, the last one 512 bytes
    expect(await table.mismatchedChunks(10, run, CHUNK)).toEqual([]);
    run[2 * CHUNK + 5] = run[2 * CHUNK + 5]! ^ 0x80;
    run[run.length - 1] = run[run.length - 1]! ^ 0x01;
    expect(await table.mismatchedChunks(10, run, CHUNK)).toEqual([12, 16]);
  });

  it('refuses a table whose digest or length is not the manifest one', async () => {
    const { bytes } = await tableFor(patternBytes(4 * CHUNK, 2));
    const digest = toHex(await sha256(bytes));
    const altered = bytes.slice();
    altered[40] = altered[40]! ^ 0x01;
    const geometry = { sizeBytes: 4 * CHUNK, chunkSizeBytes: CHUNK };
    await expect(ChunkDigestTable.fromBytes(altered, geometry, digest, 'altered')).rejects.toThrow(/altered it/);
    await expect(ChunkDigestTable.fromBytes(bytes.subarray(0, 96), geometry, digest, 'short')).rejects.toThrow(/\(128 bytes\)/);
  });

  it('measures the cost of hashing 64 KiB chunks (Web Crypto, concurrent as a run is; and the fallback)', async () => {
    const image = patternBytes(32 * 1024 * 1024, 6);
    const { table } = await tableFor(image.subarray(0, 16 * CHUNK));
    // Warm up, then a 1 MiB run (16 chunks, the boot's readahead size) many times over.
    await table.mismatchedChunks(0, image.subarray(0, 16 * CHUNK), CHUNK);
    const runBytes = 16 * CHUNK;
    let start = performance.now();
    for (let offset = 0; offset < image.length; offset += runBytes) {
      const run = image.subarray(offset, offset + runBytes);
      await Promise.all(Array.from({ length: 16 }, (_, i) => sha256(run.subarray(i * CHUNK, (i + 1) * CHUNK))));
    }
    const webCryptoMs = performance.now() - start;
    start = performance.now();
    for (let offset = 0; offset < 8 * 1024 * 1024; offset += CHUNK) sha256Js(image.subarray(offset, offset + CHUNK));
    const fallbackMs = performance.now() - start;
    console.log(
      `sha-256 of 64 KiB chunks in Chromium: Web Crypto ${mibPerSecond(image.length, webCryptoMs)} MiB/s ` +
        `(${(webCryptoMs / (image.length / runBytes)).toFixed(2)} ms per 1 MiB run), ` +
        `TypeScript fallback ${mibPerSecond(8 * 1024 * 1024, fallbackMs)} MiB/s`,
    );
    expect(webCryptoMs).toBeGreaterThan(0);
  });
});
