/**
 * Published layers from the lab's point of view: opening one a workspace stacks (from the lab
 * server that serves this page), and publishing a checkpoint as a share link. Publishing goes
 * bottom up: every checkpoint under it that is not published yet is published first, so the
 * published layer's parent is always a published layer (its id covers its parent's id).
 */
import { DEFAULT_BLOCK_SIZE_BYTES, IdbLeafStore, type RootIdentity } from '../disk';
import { openCheckpointLayer } from '../disk/checkpoint-layer';
import type { FrozenLayer } from '../disk/frozen-layer';
import type { BootSettings, PublishedImage } from '../images/manifest';
import { publishLayer, type PublishProgress } from '../layers/publish-layer';
import { LAYER_CHUNK_SIZE_BYTES } from '../layers/layer-format';
import { openPublishedLayer } from '../layers/published-layer';
import { withWorkspaceRegistry } from '../workspaces/workspace-registry';
import { openLayerChunkCache } from './root-cache';
import { shareLinkPath } from './share-link';

/** Opens a published layer from this page's server, its body read through the persistent chunk cache. */
export async function openPublishedLayerFromServer(id: string, signal?: AbortSignal): Promise<FrozenLayer> {
  const bodyChunkCache = await openLayerChunkCache({ id, chunkSizeBytes: LAYER_CHUNK_SIZE_BYTES });
  return openPublishedLayer(id, { baseUrl: location.origin, signal, bodyChunkCache });
}

/**
 * Publishes checkpoint `checkpointId` of `image` (and the unpublished checkpoints below it);
 * resolves to the share link (absolute URL) that opens it with `settings`.
 */
export async function publishCheckpointChain(
  image: PublishedImage,
  checkpointId: string,
  settings: BootSettings,
  onProgress?: (progress: PublishProgress) => void,
): Promise<string> {
  const root: RootIdentity = { id: image.id, sizeBytes: image.sizeBytes, sha256: image.sha256 };
  const checkpoint = await withWorkspaceRegistry((registry) => registry.checkpoints.get(image.id, checkpointId));
  if (!checkpoint) throw new Error('That checkpoint was deleted meanwhile (in another tab?).');
  let publishedBelow: string | null = null;
  let localBelow: FrozenLayer | undefined;
  for (const ref of checkpoint.layers) {
    if (ref.kind === 'published') {
      publishedBelow = ref.id;
      localBelow = undefined;
      continue;
    }
    const record = await withWorkspaceRegistry((registry) => registry.checkpoints.get(image.id, ref.id));
    if (!record) throw new Error(`Checkpoint ${ref.id} under "${checkpoint.name}" is gone; it cannot be published.`);
    const store = new IdbLeafStore({ imageId: image.id, storageId: ref.id, workspaceName: `checkpoint "${record.name}"` });
    const layer = await openCheckpointLayer(ref.id, store, root, localBelow?.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES, localBelow?.id ?? publishedBelow ?? undefined);
    try {
      if (!record.publishedId) {
        const publishedId = await publishLayer({ layer, parentId: publishedBelow, root, serverUrl: location.origin, onProgress });
        await withWorkspaceRegistry((registry) => registry.checkpoints.markPublished(image.id, ref.id, publishedId));
        record.publishedId = publishedId;
      }
    } finally {
      layer.close();
    }
    publishedBelow = record.publishedId;
    localBelow = layer;
  }
  if (publishedBelow === null) throw new Error(`Checkpoint "${checkpoint.name}" has no layer to publish.`);
  return new URL(shareLinkPath(image, settings, publishedBelow), location.href).href;
}
