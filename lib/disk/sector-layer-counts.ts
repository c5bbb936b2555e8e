/**
 * How many sectors of a range each layer of the union device serves, counted the way
 * `UnionDevice.layerOfSector` decides one sector (pending > leaf > frozen layers > the root's layer), but a
 * leaf block and a root chunk at a time: the block map classifies a whole disk into a few
 * thousand cells several times a second, and a 128 MiB disk has 262144 sectors.
 *
 * The range is cut into segments that lie inside one root chunk. In a segment the root's layer
 * is one `layerOf` call, the leaf's committed sectors one count over the paged bitmap (bytes,
 * not sectors, and independent of the leaf's block size), and only segments with pending
 * writes, which are few and short-lived, are walked sector by sector. With frozen layers under
 * the leaf, the sectors the leaf does not hold are looked up in the chain's flattened index,
 * one array read each.
 */
import { SECTOR_SIZE_BYTES } from './leaf-store';
import type { LayerChain } from './layer-chain';
import type { PendingOverlay } from './pending-overlay';
import type { RootSource } from './root-source';
import type { SectorMap } from './sector-pages';

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
  /** Committed sectors (asked per sector and per range: no per-block bitmap is made). */
  readonly committed: Pick<SectorMap, 'hasSector' | 'countInRange'>;
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
  const overlays = leaf.pending.filter((overlay): overlay is PendingOverlay => overlay !== undefined && !overlay.isEmpty);
  const chain = leaf.chain && leaf.chain.layers.length > 0 ? leaf.chain : undefined;
  let sector = firstSector;
  while (sector < endSector) {
    // A segment: up to the next root chunk boundary (the root's layer is one look per chunk).
    const segmentEnd = Math.min(endSector, nextChunkFirstSector(sector, root.chunkSizeBytes));
    const anyPending = overlays.length > 0 && overlaysTouch(overlays, sector, segmentEnd, leaf.sectorsPerBlock);
    let pending = 0;
    let leafSectors = 0;
    let frozen = 0;
    if (!anyPending && !chain) {
      leafSectors = leaf.committed.countInRange(sector, segmentEnd);
    } else {
      for (let s = sector; s < segmentEnd; s += 1) {
        if (anyPending && anyOverlayHas(overlays, s)) {
          pending += 1;
        } else if (leaf.committed.hasSector(s)) {
          leafSectors += 1;
        } else if (chain) {
          const layerNumber = chain.layerAt(s);
          if (layerNumber === 0) continue;
          counts.frozenSectors[layerNumber - 1] = (counts.frozenSectors[layerNumber - 1] ?? 0) + 1;
          frozen += 1;
        }
      }
    }
    counts.pendingSectors += pending;
    counts.leafSectors += leafSectors;
    const rootSectors = segmentEnd - sector - pending - leafSectors - frozen;
    if (rootSectors > 0) {
      const layer = root.layerOf(sector * SECTOR_SIZE_BYTES);
      if (layer === 'zero') counts.zeroSectors += rootSectors;
      else if (layer === 'cached') counts.rootCachedSectors += rootSectors;
      else counts.rootSectors += rootSectors;
    }
    sector = segmentEnd;
  }
  return counts;
}

/** Whether any overlay holds a block overlapping sectors [firstSector, endSector). */
function overlaysTouch(overlays: readonly PendingOverlay[], firstSector: number, endSector: number, sectorsPerBlock: number): boolean {
  const lastBlock = Math.floor((endSector - 1) / sectorsPerBlock);
  for (let blockIndex = Math.floor(firstSector / sectorsPerBlock); blockIndex <= lastBlock; blockIndex += 1) {
    for (const overlay of overlays) if (overlay.blocks.has(blockIndex)) return true;
  }
  return false;
}

function anyOverlayHas(overlays: readonly PendingOverlay[], sector: number): boolean {
  for (const overlay of overlays) if (overlay.has(sector)) return true;
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
