/**
 * Where each sector of the union device comes from, decided in one place: the newest pending
 * overlay that holds it, else the leaf when its committed sector map marks it, else the frozen
 * layer of the chain that the flattened index names (layer-chain.ts), else the root.
 * Reads (guest, synchronous, inspection), layer queries and the commit's block merge all go
 * through these functions, so they can never disagree about a sector.
 */
import { LeafStoreError, SECTOR_SIZE_BYTES } from './leaf-store';
import type { LayerChain } from './layer-chain';
import type { PendingBlock, PendingOverlay } from './pending-overlay';
import { hasSector } from './sector-bitmap';
import type { SectorMap } from './sector-pages';

/** The leaf's side of the device at one moment. */
export interface LeafSectorSources {
  readonly sectorsPerBlock: number;
  /** Overlays of writes not committed yet, NEWEST FIRST (a later write hides an earlier one). */
  readonly pending: readonly PendingOverlay[];
  /** Committed sector map (asked per sector: no allocation on the read path). */
  readonly committed: SectorMap;
  /** The frozen layers under the leaf. */
  readonly chain: LayerChain;
}

/**
 * A pending overlay (the one holding the sector's newest bytes), the committed leaf, a frozen
 * layer of the chain (its layer number, 1 = bottom), or the root.
 */
export type SectorSource = PendingOverlay | 'leaf' | 'root' | number;

export function sourceOfSector(sources: LeafSectorSources, sector: number): SectorSource {
  for (const overlay of sources.pending) if (overlay.has(sector)) return overlay;
  if (sources.committed.hasSector(sector)) return 'leaf';
  const layerNumber = sources.chain.layerAt(sector);
  return layerNumber === 0 ? 'root' : layerNumber;
}

/** Sectors to copy out of one layer's blocks (the live leaf's, or a frozen layer's), and those blocks. */
export interface BlockSectors {
  readonly sectors: number[];
  readonly blocks: number[];
}

/** How to assemble whole sectors [firstSector, endSector) of the merged disk. */
export interface SectorReadPlan {
  readonly firstSector: number;
  readonly endSector: number;
  /**
   * The sectors' bytes, pending ones filled in already (they must be copied at once: a
   * commit moves them out of the overlays). Undefined when no sector was pending, so a read
   * served whole by the root needs no buffer of its own.
   */
  buffer: Uint8Array | undefined;
  pendingSectors: number;
  /** Sectors to copy from the leaf's blocks, and those blocks. */
  readonly leafSectors: number[];
  readonly leafBlocks: number[];
  /** Sectors from frozen layers, by layer number. */
  readonly frozen: Map<number, BlockSectors>;
  frozenSectors: number;
  /** Runs of consecutive root sectors: [firstSector, sectorCount]. */
  readonly rootRuns: Array<[firstSector: number, sectorCount: number]>;
  rootSectors: number;
}

/** Classifies every sector of the range and copies the pending ones. Synchronous. */
export function planSectorRead(sources: LeafSectorSources, firstSector: number, endSector: number): SectorReadPlan {
  const plan: SectorReadPlan = {
    firstSector,
    endSector,
    buffer: undefined,
    pendingSectors: 0,
    leafSectors: [],
    leafBlocks: [],
    frozen: new Map(),
    frozenSectors: 0,
    rootRuns: [],
    rootSectors: 0,
  };
  for (let sector = firstSector; sector < endSector; sector += 1) {
    const source = sourceOfSector(sources, sector);
    if (source === 'leaf') {
      addBlockSector(plan.leafSectors, plan.leafBlocks, sector, sources.sectorsPerBlock);
    } else if (typeof source === 'number') {
      let fromLayer = plan.frozen.get(source);
      if (!fromLayer) plan.frozen.set(source, (fromLayer = { sectors: [], blocks: [] }));
      addBlockSector(fromLayer.sectors, fromLayer.blocks, sector, sources.sectorsPerBlock);
      plan.frozenSectors += 1;
    } else if (source === 'root') {
      plan.rootSectors += 1;
      const lastRun = plan.rootRuns[plan.rootRuns.length - 1];
      if (lastRun && lastRun[0] + lastRun[1] === sector) lastRun[1] += 1;
      else plan.rootRuns.push([sector, 1]);
    } else {
      plan.pendingSectors += 1;
      plan.buffer ??= new Uint8Array((endSector - firstSector) * SECTOR_SIZE_BYTES);
      source.copySectorInto(sector, plan.buffer, (sector - firstSector) * SECTOR_SIZE_BYTES);
    }
  }
  return plan;
}

function addBlockSector(sectors: number[], blocks: number[], sector: number, sectorsPerBlock: number): void {
  sectors.push(sector);
  const blockIndex = Math.floor(sector / sectorsPerBlock);
  if (blocks[blocks.length - 1] !== blockIndex) blocks.push(blockIndex);
}

/** The plan's buffer, made now if no pending sector needed one. */
export function planBuffer(plan: SectorReadPlan): Uint8Array {
  plan.buffer ??= new Uint8Array((plan.endSector - plan.firstSector) * SECTOR_SIZE_BYTES);
  return plan.buffer;
}

/** Copies `sectors` (leaf or frozen-layer sectors of the plan) out of their blocks' data (`blockData` checks each block). */
export function copyBlockSectors(
  plan: SectorReadPlan,
  sectors: readonly number[],
  sectorsPerBlock: number,
  blockData: (blockIndex: number) => Uint8Array,
): void {
  const buffer = planBuffer(plan);
  for (const sector of sectors) {
    const blockIndex = Math.floor(sector / sectorsPerBlock);
    const start = (sector - blockIndex * sectorsPerBlock) * SECTOR_SIZE_BYTES;
    buffer.set(blockData(blockIndex).subarray(start, start + SECTOR_SIZE_BYTES), (sector - plan.firstSector) * SECTOR_SIZE_BYTES);
  }
}

/**
 * A block's data as the store returned it, checked: a block the sector map marks must be
 * there and whole, or the leaf is damaged.
 */
export function requireBlockData(
  blocks: ReadonlyMap<number, Uint8Array>,
  blockIndex: number,
  blockSizeBytes: number,
  storeName: string,
): Uint8Array {
  const data = blocks.get(blockIndex);
  if (data && data.length === blockSizeBytes) return data;
  throw damagedLeafError(storeName, `block ${blockIndex} is mapped but its data is ${data ? 'the wrong size' : 'missing'}`);
}

/** `base` (a whole block, not modified) with the pending block's valid sectors laid over it. */
export function overlayPendingSectors(base: Uint8Array, pending: PendingBlock, sectorsPerBlock: number): Uint8Array {
  const merged = base.slice();
  for (let sectorInBlock = 0; sectorInBlock < sectorsPerBlock; sectorInBlock += 1) {
    if (!hasSector(pending.validSectors, sectorInBlock)) continue;
    const start = sectorInBlock * SECTOR_SIZE_BYTES;
    merged.set(pending.data.subarray(start, start + SECTOR_SIZE_BYTES), start);
  }
  return merged;
}

export function damagedLeafError(storeName: string, problem: string): LeafStoreError {
  return new LeafStoreError('corrupt', `Workspace ${storeName} is damaged: ${problem}. Reset the workspace to continue.`);
}
