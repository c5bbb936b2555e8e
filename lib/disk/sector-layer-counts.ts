/**
 * How many sectors of a range each layer of the union device serves, counted the way
 * `UnionDevice.layerOfSector` decides one sector (pending > leaf > frozen layers > the root's layer), but a
 * leaf block and a root chunk at a time: the block map classifies a whole disk into a few
 * thousand cells several times a second, and a 128 MiB disk has 262144 sectors.
 *
 * The range is cut into segments that lie inside one leaf block and one root chunk. In a
 * segment the root's layer is one `layerOf` call, a block without pending writes costs one
 * bitmap count (bytes, not sectors), and only blocks with pending writes, which are few and
 * short-lived, are walked sector by sector. With frozen layers under the leaf, the sectors the
 * leaf does not hold are looked up in the chain's flattened index, one array read each.
 */
import { SECTOR_SIZE_BYTES } from './leaf-store';
import type { LayerChain } from './layer-chain';
import type { PendingOverlay } from './pending-overlay';
import type { RootSource } from './root-source';
import { countSectorsInRange, hasSector } from './sector-bitmap';

export interface SectorLayerCounts {
  /** Written and visible to reads, not committed to the leaf store yet. */
  pendingSectors: number;
  /** Committed to the leaf (the user's changes, persistent). */
  leafSectors: number;
  /** Served by frozen layers (checkpoints, published layers), by layer number − 1 (bottom first). */
  frozenSectors: number[];
  /** Root sectors in chunks the manifest lists as all-zero (never fetched). */
  zeroSectors: number;
  /** Root sectors whose chunk is in memory (fetched). */
  rootCachedSectors: number;
  /** Root sectors not fetched yet. */
  rootSectors: number;
}

export function emptySectorLayerCounts(): SectorLayerCounts {
  return { pendingSectors: 0, leafSectors: 0, frozenSectors: [], zeroSectors: 0, rootCachedSectors: 0, rootSectors: 0 };
}

/** The leaf's side of the device: its committed sector map and the pending overlays over it. */
export interface LeafLayers {
  readonly sectorsPerBlock: number;
  /** blockIndex → valid-sector bitmap of committed sectors. */
  readonly committed: ReadonlyMap<number, Uint8Array>;
  /** Overlays of writes not committed yet (queued, in flight); order does not matter here. */
  readonly pending: ReadonlyArray<PendingOverlay | undefined>;
  /** Frozen layers under the leaf; none when absent. */
  readonly chain?: LayerChain;
}

/** Counts [firstSector, endSector); the caller has checked the range against the disk. */
export function countSectorLayers(
  firstSector: number,
  endSector: number,
  leaf: LeafLayers,
  root: Pick<RootSource, 'layerOf' | 'chunkSizeBytes'>,
): SectorLayerCounts {
  const counts = emptySectorLayerCounts();
  const { sectorsPerBlock } = leaf;
  // This block's pending bitmaps, reused from block to block (no allocation per block).
  const pendingBitmaps: Uint8Array[] = [];
  let sector = firstSector;
  while (sector < endSector) {
    const blockIndex = Math.floor(sector / sectorsPerBlock);
    const blockFirstSector = blockIndex * sectorsPerBlock;
    const blockEnd = Math.min(endSector, blockFirstSector + sectorsPerBlock);
    const committed = leaf.committed.get(blockIndex);
    pendingBitmaps.length = 0;
    for (const overlay of leaf.pending) {
      const bitmap = overlay?.blocks.get(blockIndex)?.validSectors;
      if (bitmap) pendingBitmaps.push(bitmap);
    }

    while (sector < blockEnd) {
      // A segment: the rest of this block, cut at the next root chunk boundary.
      const segmentEnd = Math.min(blockEnd, nextChunkFirstSector(sector, root.chunkSizeBytes));
      const from = sector - blockFirstSector;
      const to = segmentEnd - blockFirstSector;
      let pending = 0;
      let leafSectors = 0;
      if (pendingBitmaps.length > 0) {
        for (let s = from; s < to; s += 1) {
          if (anyHasSector(pendingBitmaps, s)) pending += 1;
          else if (committed && hasSector(committed, s)) leafSectors += 1;
        }
      } else if (committed) {
        leafSectors = countSectorsInRange(committed, from, to);
      }
      counts.pendingSectors += pending;
      counts.leafSectors += leafSectors;
      let frozen = 0;
      if (leaf.chain && leaf.chain.layers.length > 0) {
        for (let s = from; s < to; s += 1) {
          if (pendingBitmaps.length > 0 && anyHasSector(pendingBitmaps, s)) continue;
          if (committed && hasSector(committed, s)) continue;
          const layerNumber = leaf.chain.layerAt(blockFirstSector + s);
          if (layerNumber === 0) continue;
          counts.frozenSectors[layerNumber - 1] = (counts.frozenSectors[layerNumber - 1] ?? 0) + 1;
          frozen += 1;
        }
      }
      const rootSectors = to - from - pending - leafSectors - frozen;
      if (rootSectors > 0) {
        const layer = root.layerOf(sector * SECTOR_SIZE_BYTES);
        if (layer === 'zero') counts.zeroSectors += rootSectors;
        else if (layer === 'cached') counts.rootCachedSectors += rootSectors;
        else counts.rootSectors += rootSectors;
      }
      sector = segmentEnd;
    }
  }
  return counts;
}

function anyHasSector(bitmaps: readonly Uint8Array[], sectorInBlock: number): boolean {
  for (const bitmap of bitmaps) if (hasSector(bitmap, sectorInBlock)) return true;
  return false;
}

/**
 * The first sector after `sector` whose first byte is in the next root chunk. `layerOf`
 * classifies a sector by its first byte, so this holds for chunk sizes that are not a
 * multiple of 512 as well.
 */
export function nextChunkFirstSector(sector: number, chunkSizeBytes: number): number {
  const chunkIndex = Math.floor((sector * SECTOR_SIZE_BYTES) / chunkSizeBytes);
  return Math.max(sector + 1, Math.ceil(((chunkIndex + 1) * chunkSizeBytes) / SECTOR_SIZE_BYTES));
}
