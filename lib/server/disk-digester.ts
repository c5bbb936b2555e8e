/**
 * Everything a manifest says about a disk's bytes, from one sequential read: the SHA-256 of the
 * whole disk, the chunk table (the SHA-256 of every chunk, see lib/images/chunk-table.ts) and the
 * run-length list of all-zero chunks. The image tools use it to write a manifest and the server
 * to verify one, so both compute the same facts the same way. Node only (node:crypto).
 */
import { createHash, type Hash } from 'node:crypto';
import { CHUNK_DIGEST_BYTES, chunkCountOf } from '../images/chunk-table';

export interface DiskDigests {
  sha256: string;
  /** The chunk table: chunkCount × 32 bytes. */
  chunkTable: Buffer;
  zeroChunks: Array<[number, number]>;
}

/** Feed it the disk's bytes in order, in pieces of any size, then call `finish`. */
export class DiskDigester {
  private readonly whole = createHash('sha256');
  private readonly chunkTable: Buffer;
  private readonly zeroChunks: Array<[number, number]> = [];
  private readonly chunkCount: number;
  private chunkIndex = 0;
  private chunkHash: Hash | undefined;
  private chunkFilledBytes = 0;
  private chunkAllZero = true;
  private fedBytes = 0;

  constructor(
    readonly sizeBytes: number,
    readonly chunkSizeBytes: number,
  ) {
    this.chunkCount = chunkCountOf({ sizeBytes, chunkSizeBytes });
    this.chunkTable = Buffer.alloc(this.chunkCount * CHUNK_DIGEST_BYTES);
  }

  /** The bytes that follow those fed so far. */
  update(bytes: Uint8Array): void {
    if (this.fedBytes + bytes.length > this.sizeBytes)
      throw new RangeError(`DiskDigester: fed ${this.fedBytes + bytes.length} bytes of a ${this.sizeBytes}-byte disk`);
    this.fedBytes += bytes.length;
    this.whole.update(bytes);
    for (let at = 0; at < bytes.length; ) {
      const chunkLengthBytes = Math.min(this.chunkSizeBytes, this.sizeBytes - this.chunkIndex * this.chunkSizeBytes);
      const takeBytes = Math.min(bytes.length - at, chunkLengthBytes - this.chunkFilledBytes);
      const piece = bytes.subarray(at, at + takeBytes);
      this.chunkHash ??= createHash('sha256');
      this.chunkHash.update(piece);
      if (this.chunkAllZero && !isAllZero(piece)) this.chunkAllZero = false;
      this.chunkFilledBytes += takeBytes;
      at += takeBytes;
      if (this.chunkFilledBytes === chunkLengthBytes) this.finishChunk();
    }
  }

  /** The digests, once every byte of the disk was fed. */
  finish(): DiskDigests {
    if (this.fedBytes !== this.sizeBytes)
      throw new RangeError(`DiskDigester: the disk ended after ${this.fedBytes} of its ${this.sizeBytes} bytes`);
    return { sha256: this.whole.digest('hex'), chunkTable: this.chunkTable, zeroChunks: this.zeroChunks };
  }

  private finishChunk(): void {
    this.chunkHash!.digest().copy(this.chunkTable, this.chunkIndex * CHUNK_DIGEST_BYTES);
    if (this.chunkAllZero) {
      const last = this.zeroChunks.at(-1);
      if (last && last[0] + last[1] === this.chunkIndex) last[1] += 1;
      else this.zeroChunks.push([this.chunkIndex, 1]);
    }
    this.chunkIndex += 1;
    this.chunkHash = undefined;
    this.chunkFilledBytes = 0;
    this.chunkAllZero = true;
  }
}

/** The SHA-256 of `bytes`, raw (32 bytes), as the chunk table holds it. */
export function sha256Raw(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

const ZEROS = new Uint8Array(64 * 1024);

export function isAllZero(bytes: Uint8Array): boolean {
  // Buffer.compare is a memcmp: far faster than a loop over the bytes of a multi-GiB disk.
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + ZEROS.length));
    if (Buffer.compare(piece, ZEROS.subarray(0, piece.length)) !== 0) return false;
  }
  return true;
}
