/**
 * Published layers from the lab's point of view: opening one a workspace stacks, and
 * publishing a checkpoint (with every unpublished checkpoint below it) as a share link.
 */
import type { FrozenLayer } from '../disk/frozen-layer';
import type { BootSettings, PublishedImage } from '../images/manifest';

export async function openPublishedLayerFromServer(id: string): Promise<FrozenLayer> {
  throw new Error(`Published layer ${id} cannot be opened: this build has no layer store yet.`);
}

export async function publishCheckpointChain(image: PublishedImage, checkpointId: string, settings: BootSettings): Promise<string> {
  void image;
  void settings;
  throw new Error(`Checkpoint ${checkpointId} cannot be published: this build has no layer store yet.`);
}
