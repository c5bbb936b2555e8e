/**
 * Opening a leaf for the union device: read its metadata and sector map (a paged bitmap, see
 * sector-pages.ts; no block is loaded), check them, and write NOTHING. A workspace whose storage quota is full must still open, so its user can
 * download the disk. A leaf never written to gets its metadata in memory only; the write
 * journal saves it with the leaf's first blocks, in the same transaction.
 */
import { assertLeafBinding } from './leaf-binding';
import { isValidBlockSize, SECTOR_SIZE_BYTES, type LeafMeta, type LeafStore, type RootIdentity } from './leaf-store';
import { damagedLeafError } from './sector-merge';
import { SECTORS_PER_PAGE, type SectorMap } from './sector-pages';

export interface OpenedLeaf {
  meta: LeafMeta;
  /** False for a leaf with nothing stored yet: `meta` is to be saved with the first blocks. */
  metaStored: boolean;
  /** Committed sector map, checked against the disk. */
  sectorMap: SectorMap;
}

/**
 * Opens `store` for a disk of `rootIdentity.sizeBytes` whose leaf lies on `parentLayerId`
 * (undefined: directly on the root). Refuses with LeafBindingError when the leaf was made on
 * another root, with LeafStoreError 'newer-format' or 'corrupt' when it cannot be read or was
 * made on another parent; the store is closed again in those cases.
 */
export async function openLeaf(
  store: LeafStore,
  rootIdentity: RootIdentity,
  newLeafBlockSizeBytes: number,
  nowMs: number,
  parentLayerId?: string,
): Promise<OpenedLeaf> {
  await store.open();
  try {
    const stored = await store.readMeta();
    if (stored) assertLeafBinding(stored.root, rootIdentity, store.name);
    const meta = stored ?? newLeafMeta(rootIdentity, newLeafBlockSizeBytes, nowMs, parentLayerId);
    const sectorMap = await store.loadSectorMap(meta.blockSizeBytes / SECTOR_SIZE_BYTES);
    if (!stored && sectorMap.pageCount > 0) throw damagedLeafError(store.name, `it holds ${sectorMap.size} blocks but no metadata`);
    if (stored && stored.parentLayerId !== parentLayerId) {
      throw damagedLeafError(
        store.name,
        `its changes were made on ${stored.parentLayerId ? `layer ${stored.parentLayerId}` : 'the bare image'}, but its workspace puts it on ` +
          `${parentLayerId ? `layer ${parentLayerId}` : 'the bare image'}`,
      );
    }
    checkSectorMap(sectorMap, meta.blockSizeBytes / SECTOR_SIZE_BYTES, rootIdentity.sizeBytes / SECTOR_SIZE_BYTES, store.name);
    return { meta, metaStored: stored !== undefined, sectorMap };
  } catch (error) {
    store.close();
    throw error;
  }
}

function newLeafMeta(rootIdentity: RootIdentity, blockSizeBytes: number, nowMs: number, parentLayerId: string | undefined): LeafMeta {
  if (!isValidBlockSize(blockSizeBytes)) {
    throw new RangeError(`Leaf block size must be a positive multiple of 512 bytes, got ${blockSizeBytes}`);
  }
  return {
    formatVersion: parentLayerId === undefined ? 1 : 2,
    root: { id: rootIdentity.id, sizeBytes: rootIdentity.sizeBytes, sha256: rootIdentity.sha256 },
    ...(parentLayerId === undefined ? {} : { parentLayerId }),
    sectorSizeBytes: SECTOR_SIZE_BYTES,
    blockSizeBytes,
    createdAt: nowMs,
  };
}

/**
 * No mapped sector may lie in a block past the disk's last one (sectors past the end inside the
 * last block are allowed: a block is written whole). Only the last page can hold such sectors.
 */
function checkSectorMap(sectorMap: SectorMap, sectorsPerBlock: number, sectorCount: number, storeName: string): void {
  const endSector = Math.ceil(sectorCount / sectorsPerBlock) * sectorsPerBlock;
  const lastPage = sectorMap.pageIndices().at(-1);
  if (lastPage === undefined || (lastPage + 1) * SECTORS_PER_PAGE <= endSector) return;
  const from = Math.max(endSector, lastPage * SECTORS_PER_PAGE);
  if (sectorMap.countInRange(from, (lastPage + 1) * SECTORS_PER_PAGE) > 0) {
    throw damagedLeafError(storeName, `the sector map names block ${Math.floor(from / sectorsPerBlock)} or later, outside the disk`);
  }
}
