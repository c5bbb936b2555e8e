/**
 * A leaf block's valid-sector bitmap: bit i (LSB-first within each byte) says sector i of the
 * block holds leaf data. Kept as a plain Uint8Array so it stores in IndexedDB as-is and costs
 * 8 bytes for a 32 KiB block.
 */

export function bitmapByteLength(sectorsPerBlock: number): number {
  return Math.ceil(sectorsPerBlock / 8);
}

export function createBitmap(sectorsPerBlock: number): Uint8Array {
  return new Uint8Array(bitmapByteLength(sectorsPerBlock));
}

export function hasSector(bitmap: Uint8Array, sectorInBlock: number): boolean {
  return (((bitmap[sectorInBlock >> 3] ?? 0) >> (sectorInBlock & 7)) & 1) === 1;
}

export function markSector(bitmap: Uint8Array, sectorInBlock: number): void {
  const byteIndex = sectorInBlock >> 3;
  bitmap[byteIndex] = (bitmap[byteIndex] ?? 0) | (1 << (sectorInBlock & 7));
}

export function countSectors(bitmap: Uint8Array): number {
  let count = 0;
  for (const byte of bitmap) {
    let bits = byte;
    while (bits !== 0) {
      bits &= bits - 1;
      count += 1;
    }
  }
  return count;
}

/** `a | b` as a new bitmap (both must have the same length). */
export function unionBitmaps(a: Uint8Array, b: Uint8Array): Uint8Array {
  const result = a.slice();
  for (let i = 0; i < result.length; i += 1) result[i] = (result[i] ?? 0) | (b[i] ?? 0);
  return result;
}

/** True when every sector marked in `inner` is also marked in `outer`. */
export function coversBitmap(outer: Uint8Array, inner: Uint8Array): boolean {
  for (let i = 0; i < inner.length; i += 1) {
    const innerByte = inner[i] ?? 0;
    if (((outer[i] ?? 0) & innerByte) !== innerByte) return false;
  }
  return true;
}

/**
 * How many sectors in [fromSector, toSector) of the block are marked: whole bytes at a time
 * (a 64-sector block is 8 bytes), so the block map's range queries stay cheap.
 */
export function countSectorsInRange(bitmap: Uint8Array, fromSector: number, toSector: number): number {
  let count = 0;
  let sector = fromSector;
  while (sector < toSector) {
    const byteIndex = sector >> 3;
    const firstBit = sector & 7;
    const endBit = Math.min(8, firstBit + (toSector - sector));
    // Bits [firstBit, endBit) of this byte.
    let bits = ((bitmap[byteIndex] ?? 0) >> firstBit) & ((1 << (endBit - firstBit)) - 1);
    while (bits !== 0) {
      bits &= bits - 1;
      count += 1;
    }
    sector += endBit - firstBit;
  }
  return count;
}
