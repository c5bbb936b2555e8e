/**
 * A local checkpoint as a frozen layer: a leaf (in its LeafStore) that nothing writes any more,
 * read through the same store. Made two ways: at once from the live leaf being frozen (its
 * sector map is already in memory), or by opening a checkpoint's store when a chain opens.
 */
import type { FrozenLayer } from './frozen-layer';
import type { LeafMeta, LeafStore, RootIdentity } from './leaf-store';
import { openLeaf } from './open-leaf';
import { requireBlockData } from './sector-merge';

export function checkpointLayer(
  id: string,
  store: LeafStore,
  meta: Pick<LeafMeta, 'root' | 'blockSizeBytes' | 'parentLayerId'>,
  sectorMap: ReadonlyMap<number, Uint8Array>,
): FrozenLayer {
  return {
    id,
    kind: 'checkpoint',
    parentId: meta.parentLayerId,
    root: meta.root,
    blockSizeBytes: meta.blockSizeBytes,
    sectorMap,
    async readBlocks(blockIndices) {
      const blocks = await store.readBlocks(blockIndices);
      // Checked here, so a damaged checkpoint is named as such, not as the live leaf.
      for (const blockIndex of blockIndices) requireBlockData(blocks, blockIndex, meta.blockSizeBytes, store.name);
      return blocks;
    },
    close: () => store.close(),
  };
}

/**
 * Opens checkpoint `id` stored in `store`, made on `root` over `parentId`. A checkpoint of a
 * leaf that was never written has nothing stored: it is an empty layer.
 */
export async function openCheckpointLayer(
  id: string,
  store: LeafStore,
  root: RootIdentity,
  blockSizeBytes: number,
  parentId: string | undefined,
): Promise<FrozenLayer> {
  const opened = await openLeaf(store, root, blockSizeBytes, 0, parentId);
  return checkpointLayer(id, store, opened.meta, opened.sectorMap);
}
