/**
 * Opening a leaf for the union device: read its metadata and sector map, check them, and
 * write NOTHING. A workspace whose storage quota is full must still open, so its user can
 * download the disk. A leaf never written to gets its metadata in memory only; the write
 * journal saves it with the leaf's first blocks, in the same transaction.
 */
import { assertLeafBinding } from './leaf-binding';
import { isValidBlockSize, SECTOR_SIZE_BYTES, type LeafMeta, type LeafStore, type RootIdentity } from './leaf-store';
import { damagedLeafError } from './sector-merge';
import { bitmapByteLength } from './sector-bitmap';

export interface OpenedLeaf {
  meta: LeafMeta;
  /** False for a leaf with nothing stored yet: `meta` is to be saved with the first blocks. */
  metaStored: boolean;
  /** Committed sector map: blockIndex → valid-sector bitmap, checked against the disk. */
  sectorMap: Map<number, Uint8Array>;
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
    const sectorMap = await store.loadSectorMap();
    if (stored) assertLeafBinding(stored.root, rootIdentity, store.name);
    else if (sectorMap.size > 0) throw damagedLeafError(store.name, `it holds ${sectorMap.size} blocks but no metadata`);
    if (stored && stored.parentLayerId !== parentLayerId) {
      throw damagedLeafError(
        store.name,
        `its changes were made on ${stored.parentLayerId ? `layer ${stored.parentLayerId}` : 'the bare image'}, but its workspace puts it on ` +
          `${parentLayerId ? `layer ${parentLayerId}` : 'the bare image'}`,
      );
    }
    const meta = stored ?? newLeafMeta(rootIdentity, newLeafBlockSizeBytes, nowMs, parentLayerId);
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

function checkSectorMap(sectorMap: Map<number, Uint8Array>, sectorsPerBlock: number, sectorCount: number, storeName: string): void {
  const blockCount = Math.ceil(sectorCount / sectorsPerBlock);
  for (const [blockIndex, bitmap] of sectorMap) {
    if (!Number.isSafeInteger(blockIndex) || blockIndex < 0 || blockIndex >= blockCount) {
      throw damagedLeafError(storeName, `the sector map names block ${blockIndex}, outside the disk`);
    }
    if (bitmap.length !== bitmapByteLength(sectorsPerBlock)) {
      throw damagedLeafError(storeName, `the sector map entry of block ${blockIndex} has the wrong size`);
    }
  }
}
