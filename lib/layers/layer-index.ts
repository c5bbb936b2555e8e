/**
 * The body's index (layout in layer-body-geometry.ts): encoded from a sector map, and parsed
 * back with every entry checked, because the bytes come from a server or an uploader.
 */
import { countSectors } from '../disk/sector-bitmap';
import type { RootIdentity } from '../disk/leaf-store';
import { bodyGeometry, INDEX_BLOCK_FIELD_BYTES } from './layer-body-geometry';
import { LayerFormatError, rootBlockCount } from './layer-format';

/** The blocks a canonical body holds: those with at least one marked sector, ascending. */
export function canonicalBlockIndices(sectorMap: ReadonlyMap<number, Uint8Array>): number[] {
  return [...sectorMap].filter(([, bitmap]) => countSectors(bitmap) > 0).map(([blockIndex]) => blockIndex).sort((a, b) => a - b);
}

/** The index area: entries, then zeros up to the first block (dataStartBytes long). */
export function encodeIndexArea(blockIndices: readonly number[], sectorMap: ReadonlyMap<number, Uint8Array>, blockSizeBytes: number): Uint8Array {
  const geometry = bodyGeometry(blockSizeBytes, blockIndices.length);
  const area = new Uint8Array(geometry.dataStartBytes);
  const view = new DataView(area.buffer);
  blockIndices.forEach((blockIndex, ordinal) => {
    const bitmap = sectorMap.get(blockIndex);
    if (!bitmap) throw new RangeError(`block ${blockIndex} is not in the sector map`);
    if (bitmap.length !== geometry.bitmapBytes) throw new RangeError(`block ${blockIndex}'s bitmap is ${bitmap.length} bytes, not ${geometry.bitmapBytes}`);
    const offset = ordinal * geometry.indexEntryBytes;
    view.setUint32(offset, blockIndex, true);
    area.set(bitmap, offset + INDEX_BLOCK_FIELD_BYTES);
  });
  return area;
}

export interface ParsedIndex {
  /** Block indices in body order (ascending). */
  blockIndices: number[];
  sectorMap: Map<number, Uint8Array>;
}

/**
 * Parses the index area (at least indexBytes long; when it is the whole dataStartBytes, the
 * padding must be zero). Entries must ascend strictly, lie inside the root, and mark at least
 * one sector and no bit past the block's sectors. Throws LayerFormatError.
 */
export function parseIndexArea(area: Uint8Array, layer: { root: RootIdentity; blockSizeBytes: number; blockCount: number }): ParsedIndex {
  const geometry = bodyGeometry(layer.blockSizeBytes, layer.blockCount);
  const fail = (message: string): never => {
    throw new LayerFormatError(`Layer index: ${message}`);
  };
  if (area.length < geometry.indexBytes) fail(`${area.length} bytes, but ${layer.blockCount} entries need ${geometry.indexBytes}`);
  const maxBlocks = rootBlockCount(layer.root, layer.blockSizeBytes);
  const view = new DataView(area.buffer, area.byteOffset, area.byteLength);
  const blockIndices: number[] = [];
  const sectorMap = new Map<number, Uint8Array>();
  for (let ordinal = 0; ordinal < layer.blockCount; ordinal += 1) {
    const offset = ordinal * geometry.indexEntryBytes;
    const blockIndex = view.getUint32(offset, true);
    const previous = blockIndices.at(-1);
    if (previous !== undefined && blockIndex <= previous) fail(`entry ${ordinal} names block ${blockIndex} after block ${previous}; entries must ascend strictly`);
    if (blockIndex >= maxBlocks) fail(`entry ${ordinal} names block ${blockIndex}, but the root has ${maxBlocks} blocks of ${layer.blockSizeBytes} bytes`);
    const bitmap = area.slice(offset + INDEX_BLOCK_FIELD_BYTES, offset + geometry.indexEntryBytes);
    if (countSectors(bitmap) === 0) fail(`entry ${ordinal} (block ${blockIndex}) marks no sector`);
    const spareBits = geometry.bitmapBytes * 8 - geometry.sectorsPerBlock;
    if (spareBits > 0 && (bitmap[geometry.bitmapBytes - 1]! >> (8 - spareBits)) !== 0)
      fail(`entry ${ordinal} (block ${blockIndex}) marks sectors past the block's ${geometry.sectorsPerBlock}`);
    blockIndices.push(blockIndex);
    sectorMap.set(blockIndex, bitmap);
  }
  if (area.length >= geometry.dataStartBytes) {
    for (let i = geometry.indexBytes; i < geometry.dataStartBytes; i += 1) if (area[i] !== 0) fail(`padding byte ${i} after the index is not zero`);
  }
  return { blockIndices, sectorMap };
}
