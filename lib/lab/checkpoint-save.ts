/**
 * "Save checkpoint": freezes the running disk's live leaf as a checkpoint and continues on a
 * new, empty leaf on top of it (UnionDevice.checkpoint: metadata only, the guest keeps
 * running). The workspace list records the checkpoint and the new leaf in one transaction,
 * inside the device's line: writes issued before land in the checkpoint, later ones after it.
 */
import { IdbLeafStore, type UnionDevice } from '../disk';
import type { CheckpointRecord } from '../workspaces/checkpoint-record';
import { newStorageId } from '../workspaces/registry-schema';
import { withWorkspaceRegistry, type WorkspaceRecord } from '../workspaces/workspace-registry';

export const CHECKPOINT_NAME_MAX_LENGTH = 80;

export class CheckpointNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointNameError';
  }
}

/** A checkpoint's name, trimmed; refused when empty or too long (any other text is fine). */
export function checkedCheckpointName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new CheckpointNameError('A checkpoint needs a name.');
  if (trimmed.length > CHECKPOINT_NAME_MAX_LENGTH) {
    throw new CheckpointNameError(`A checkpoint name has at most ${CHECKPOINT_NAME_MAX_LENGTH} characters.`);
  }
  return trimmed;
}

export interface SavedCheckpoint {
  checkpoint: CheckpointRecord;
  /** The workspace's entry now: on the new leaf, stacking the checkpoint. */
  workspace: WorkspaceRecord;
}

export async function saveCheckpoint(device: UnionDevice, workspace: WorkspaceRecord, name: string, nowMs = Date.now()): Promise<SavedCheckpoint> {
  const checkedName = checkedCheckpointName(name);
  const nextLeafId = newStorageId();
  const nextStore = new IdbLeafStore({ imageId: workspace.imageId, storageId: nextLeafId, workspaceName: workspace.name });
  let saved: SavedCheckpoint | undefined;
  await device.checkpoint(nextStore, nextLeafId, async (frozen) => {
    const checkpoint: CheckpointRecord = {
      imageId: workspace.imageId,
      id: frozen.id,
      name: checkedName,
      createdAt: nowMs,
      layers: [...device.layers.map((layer) => ({ kind: layer.kind, id: layer.id })), { kind: 'checkpoint', id: frozen.id }],
      madeInStorageId: workspace.storageId,
      madeInName: workspace.name,
      sizeBytes: frozen.sectorMap.size * frozen.blockSizeBytes,
    };
    const updated = await withWorkspaceRegistry((registry) => registry.checkpoints.recordFrozenLeaf(checkpoint, nextLeafId));
    saved = { checkpoint, workspace: updated };
  });
  if (!saved) throw new Error('The checkpoint was not recorded.');
  return saved;
}
