/** Leaves with known contents, for the workspace tests (fake-indexeddb in Node, the real one in Chromium). */
import { IdbLeafStore, measureLeafStore } from '@/lib/disk/idb-leaf-store';
import type { LeafMeta } from '@/lib/disk/leaf-store';

export const SETTINGS = { memoryMiB: 128, vgaMemoryMiB: 8, acpi: true };

const BLOCK_SIZE_BYTES = 1024;

function metaFor(imageId: string): LeafMeta {
  return {
    formatVersion: 1,
    root: { id: imageId, sizeBytes: 1 << 20, sha256: 'c'.repeat(64) },
    sectorSizeBytes: 512,
    blockSizeBytes: BLOCK_SIZE_BYTES,
    createdAt: 1,
  };
}

/** Writes `blockCount` blocks (block i filled with i + 1) into the leaf, creating it if needed. */
export async function writeLeaf(imageId: string, storageId: string, blockCount: number, indexedDB?: IDBFactory): Promise<void> {
  const store = new IdbLeafStore({ imageId, storageId, indexedDB });
  await store.open();
  try {
    await store.writeBlocks(
      Array.from({ length: blockCount }, (_, blockIndex) => ({
        blockIndex,
        data: new Uint8Array(BLOCK_SIZE_BYTES).fill(blockIndex + 1),
        validSectors: Uint8Array.of(0b11),
      })),
      metaFor(imageId),
    );
  } finally {
    store.close();
  }
}

/** How many blocks the leaf holds (0 for a leaf that does not exist; measuring never creates one). */
export async function leafBlockCount(imageId: string, storageId: string, indexedDB?: IDBFactory): Promise<number> {
  return (await measureLeafStore({ imageId, storageId, indexedDB })).blockCount;
}

/** Names of the factory's databases, sorted. */
export async function databaseNames(indexedDB: IDBFactory): Promise<string[]> {
  return (await indexedDB.databases()).flatMap((info) => (info.name === undefined ? [] : [info.name])).sort();
}
