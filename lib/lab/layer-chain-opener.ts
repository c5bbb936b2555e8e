/**
 * Opens the frozen layers a workspace's disk stacks (its entry's `layers`, bottom to top):
 * local checkpoints from their leaf databases, published layers from the lab server. The
 * union device then checks the chain (roots, parents, block sizes) and flattens it.
 */
import { DEFAULT_BLOCK_SIZE_BYTES, IdbLeafStore, type RootIdentity } from '../disk';
import { openCheckpointLayer } from '../disk/checkpoint-layer';
import type { FrozenLayer } from '../disk/frozen-layer';
import type { LayerRef } from '../workspaces/checkpoint-record';

export type PublishedLayerOpener = (id: string, signal?: AbortSignal) => Promise<FrozenLayer>;

export async function openLayerChain(
  imageId: string,
  root: RootIdentity,
  refs: readonly LayerRef[],
  openPublished: PublishedLayerOpener,
  signal?: AbortSignal,
): Promise<FrozenLayer[]> {
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
