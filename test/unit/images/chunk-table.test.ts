import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkByteRange, chunkCountOf, chunkDigestIn, chunkTableLengthProblem, chunkTableSizeBytes } from '@/lib/images/chunk-table';

const CHUNK = 4096;

describe('the chunk table format', () => {
  const geometry = { sizeBytes: 10 * CHUNK + 512, chunkSizeBytes: CHUNK };

  it('has one 32-byte digest per chunk, the last chunk short', () => {
    expect(chunkCountOf(geometry)).toBe(11);
    expect(chunkTableSizeBytes(geometry)).toBe(11 * 32);
    expect(chunkByteRange(geometry, 0)).toEqual({ startBytes: 0, endBytes: CHUNK });
    expect(chunkByteRange(geometry, 10)).toEqual({ startBytes: 10 * CHUNK, endBytes: 10 * CHUNK + 512 });
    expect(() => chunkByteRange(geometry, 11)).toThrow(/outside the disk's 11 chunks/);
    expect(() => chunkByteRange(geometry, -1)).toThrow(RangeError);
  });

  it('finds chunk i at bytes [32 i, 32 i + 32)', () => {
    const disk = randomBytes(geometry.sizeBytes);
    const digests: Buffer[] = [];
    for (let start = 0; start < disk.length; start += CHUNK) digests.push(createHash('sha256').update(disk.subarray(start, start + CHUNK)).digest());
    const table = Buffer.concat(digests);
    expect(Buffer.from(chunkDigestIn(table, 3))).toEqual(createHash('sha256').update(disk.subarray(3 * CHUNK, 4 * CHUNK)).digest());
    expect(Buffer.from(chunkDigestIn(table, 10))).toEqual(createHash('sha256').update(disk.subarray(10 * CHUNK)).digest());
    expect(() => chunkDigestIn(table, 11)).toThrow(/no digest in a table of 11 chunks/);
  });

  it('names a table of the wrong length, with the length it needs', () => {
    expect(chunkTableLengthProblem(new Uint8Array(11 * 32), geometry)).toBeUndefined();
    expect(chunkTableLengthProblem(new Uint8Array(10 * 32), geometry)).toMatch(/is 320 bytes, .* needs 11 digests of 32 bytes \(352 bytes\)/);
  });
});
