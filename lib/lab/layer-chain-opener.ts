/**
 * Opens the frozen layers a workspace's disk stacks (its entry's `layers`, bottom to top):
 * local checkpoints from their leaf databases, published layers from the lab server. The
 * union device then checks the chain (roots, parents, block sizes) and flattens it.
 */
import { DEFAULT_BLOCK_SIZE_BYTES, IdbLeafStore, type RootIdentity } from '../disk';
import { openCheckpointLayer } from '../disk/checkpoint-layer';
import type { FrozenLayer } from '../disk/frozen-layer';
import type { LayerRef } from '../workspaces/checkpoint-record';
import { withWorkspaceRegistry } from '../workspaces/workspace-registry';

export type PublishedLayerOpener = (id: string, signal?: AbortSignal) => Promise<FrozenLayer>;

export async function openLayerChain(
  imageId: string,
  root: RootIdentity,
  refs: readonly LayerRef[],
  openPublished: PublishedLayerOpener,
  signal?: AbortSignal,
): Promise<FrozenLayer[]> {
  // A checkpoint's database would open empty if it were gone (IndexedDB creates it), so each
  // must still be listed; the list refuses to delete one that anything stacks.
  const localIds = refs.filter((ref) => ref.kind === 'checkpoint').map((ref) => ref.id);
  if (localIds.length > 0) {
    const listed = new Set((await withWorkspaceRegistry((registry) => registry.checkpoints.list(imageId))).map((checkpoint) => checkpoint.id));
    const missing = localIds.find((id) => !listed.has(id));
    if (missing) {
      throw new Error(
        `This workspace's disk is built on checkpoint ${missing}, which this browser no longer lists, so its changes cannot be shown. ` +
          '"Reset disk" starts the workspace again from what it was made from.',
      );
    }
  }
  const layers: FrozenLayer[] = [];
  try {
    for (const ref of refs) {
      const below = layers[layers.length - 1];
      if (ref.kind === 'published') {
        layers.push(await openPublished(ref.id, signal));
      } else {
        const store = new IdbLeafStore({ imageId, storageId: ref.id, workspaceName: `checkpoint ${ref.id}` });
        layers.push(await openCheckpointLayer(ref.id, store, root, below?.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES, below?.id));
      }
    }
    return layers;
  } catch (error) {
    for (const layer of layers) layer.close();
    throw error;
  }
}
