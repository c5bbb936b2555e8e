/**
 * Where things are in a layer's body:
 *
 *   [index: blockCount entries][zero padding to a 64 KiB boundary][blockCount whole blocks]
 *
 * An index entry is the block's index (u32 little-endian) followed by its valid-sector bitmap
 * (lib/disk/sector-bitmap.ts layout, ceil(sectorsPerBlock / 8) bytes). Block data starts on a
 * chunk boundary so that index and data never share a chunk, and the i-th block of the index is
 * at dataStartBytes + i * blockSizeBytes.
 */
import { bitmapByteLength } from '../disk/sector-bitmap';
import { SECTOR_SIZE_BYTES } from '../images/manifest';

/** The body chunk size (same as LAYER_CHUNK_SIZE_BYTES; here to keep this module import-free of the descriptor). */
const CHUNK_SIZE_BYTES = 65536;
/** Bytes of an index entry's block index. */
export const INDEX_BLOCK_FIELD_BYTES = 4;

export interface BodyGeometry {
  sectorsPerBlock: number;
  bitmapBytes: number;
  indexEntryBytes: number;
  indexBytes: number;
  /** Where block data starts: the index rounded up to a whole number of chunks. */
  dataStartBytes: number;
  bodySizeBytes: number;
}

export function bodyGeometry(blockSizeBytes: number, blockCount: number): BodyGeometry {
  const sectorsPerBlock = blockSizeBytes / SECTOR_SIZE_BYTES;
  const bitmapBytes = bitmapByteLength(sectorsPerBlock);
  const indexEntryBytes = INDEX_BLOCK_FIELD_BYTES + bitmapBytes;
  const indexBytes = blockCount * indexEntryBytes;
  const dataStartBytes = Math.ceil(indexBytes / CHUNK_SIZE_BYTES) * CHUNK_SIZE_BYTES;
  return { sectorsPerBlock, bitmapBytes, indexEntryBytes, indexBytes, dataStartBytes, bodySizeBytes: dataStartBytes + blockCount * blockSizeBytes };
}
