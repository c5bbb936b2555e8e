import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DiskDigester, isAllZero } from '@/lib/server/disk-digester';

const CHUNK = 4096;

/** The chunk table computed the obvious way, chunk by chunk, to check the streaming one against. */
function expectedTable(disk: Buffer, chunkSizeBytes: number): Buffer {
  const digests: Buffer[] = [];
  for (let start = 0; start < disk.length; start += chunkSizeBytes)
    digests.push(createHash('sha256').update(disk.subarray(start, start + chunkSizeBytes)).digest());
  return Buffer.concat(digests);
}

/** A disk of 10 chunks plus a 512-byte tail: data, zero chunks 2-4 and 7, a zero tail. */
function sampleDisk(): Buffer {
  const disk = randomBytes(10 * CHUNK + 512);
  disk.fill(0, 2 * CHUNK, 5 * CHUNK);
  disk.fill(0, 7 * CHUNK, 8 * CHUNK);
  disk.fill(0, 10 * CHUNK);
  return disk;
}

function digestInPieces(disk: Buffer, pieceSizes: () => number) {
  const digester = new DiskDigester(disk.length, CHUNK);
  for (let at = 0; at < disk.length; ) {
    const size = Math.min(disk.length - at, pieceSizes());
    digester.update(disk.subarray(at, at + size));
    at += size;
  }
  return digester.finish();
}

describe('DiskDigester', () => {
  it('gives the whole sha256, every chunk digest and the zero runs, however the bytes are cut', () => {
    const disk = sampleDisk();
    const wholeSha256 = createHash('sha256').update(disk).digest('hex');
    const table = expectedTable(disk, CHUNK);
    for (const pieceSizes of [() => disk.length, () => CHUNK, () => 1000, () => 1 + Math.floor(Math.random() * 3 * CHUNK)]) {
      const digests = digestInPieces(disk, pieceSizes);
      expect(digests.sha256).toBe(wholeSha256);
      expect(digests.chunkTable.equals(table)).toBe(true);
      expect(digests.zeroChunks).toEqual([[2, 3], [7, 1], [10, 1]]);
    }
  });

  it('refuses more bytes than the disk has, and a finish before the last byte', () => {
    const digester = new DiskDigester(CHUNK, CHUNK);
    expect(() => digester.update(Buffer.alloc(CHUNK + 1))).toThrow(/fed 4097 bytes of a 4096-byte disk/);
    digester.update(Buffer.alloc(100));
    expect(() => digester.finish()).toThrow(/ended after 100 of its 4096 bytes/);
  });

  it('tells all-zero bytes from any byte that is not, at any offset and length', () => {
    expect(isAllZero(new Uint8Array(0))).toBe(true);
    const zeros = Buffer.alloc(200_000);
    expect(isAllZero(zeros)).toBe(true);
    for (const at of [0, 7, 65535, 65536, 199_999]) {
      const bytes = Buffer.alloc(200_000);
      bytes[at] = 1;
      expect(isAllZero(bytes), `byte ${at}`).toBe(false);
      expect(isAllZero(bytes.subarray(at + 1))).toBe(true);
    }
  });
});
