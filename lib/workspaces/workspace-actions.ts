/**
 * What the workspace controls do, beyond the registry's bookkeeping: each action that touches
 * a leaf takes the workspace's lock first and keeps it until the action is complete, so it
 * never pulls a disk from under a running machine, and no tab can open the leaf halfway.
 */
import type { LeafUsage } from '../disk';
import type { BootSettings } from '../images/manifest';
import { leafUsageOrUnknown } from './leaf-databases';
import { deleteLeafDatabase, type LeafDeletionOptions, type LeafToDelete } from './leaf-deletion';
import { withWorkspaceLock } from './workspace-lock';
import { liveLeafId, withWorkspaceRegistry, WorkspaceRegistryError, type WorkspaceRecord, type WorkspaceRegistry } from './workspace-registry';

/** Which workspace an action is on: enough to take its lock and find its entry. */
type WorkspaceIdentity = Pick<WorkspaceRecord, 'imageId' | 'storageId' | 'name'>;

function underWorkspaceLock<T>(record: WorkspaceIdentity, work: () => Promise<T>): Promise<T> {
  return withWorkspaceLock(record.imageId, record.storageId, record.name, work);
}

/**
 * Discards a workspace's changes: its next boot starts from the pristine root. Resolves when
 * the leaf is gone; if another connection holds it, `onPending` hears so first.
 */
export function discardWorkspaceChanges(record: WorkspaceIdentity, options: LeafDeletionOptions = {}): Promise<void> {
  return underWorkspaceLock(record, () => withWorkspaceRegistry(async (registry) => {
    // A workspace no longer listed still has its first leaf deleted (as before layers existed).
    const current = (await registry.getByStorage(record.imageId, record.storageId)) ?? record;
    await deleteLeafDatabase(liveLeaf(current, registry), `resetting workspace "${record.name}"`, options);
    // Then back onto the layers it was made on (a share link's, a fork's): the leaf is empty
    // by now, so it may lie on any parent.
    await registry.checkpoints.resetToBase(record.imageId, record.storageId);
  }));
}

/**
 * Puts the workspace's disk back to checkpoint `checkpointId`: its live leaf (the changes
 * since) is discarded, then the workspace stacks the checkpoint's chain. The checkpoints
 * themselves are untouched, so a later checkpoint of this workspace can be restored too.
 */
export function restoreCheckpoint(record: WorkspaceIdentity, checkpointId: string, options: LeafDeletionOptions = {}): Promise<WorkspaceRecord> {
  return underWorkspaceLock(record, () => withWorkspaceRegistry(async (registry) => {
    const current = await currentEntry(registry, record);
    if (!(await registry.checkpoints.get(record.imageId, checkpointId))) {
      throw new WorkspaceRegistryError('missing', 'That checkpoint was deleted meanwhile (in another tab?).');
    }
    await deleteLeafDatabase(liveLeaf(current, registry), `restoring workspace "${record.name}"`, options);
    return registry.checkpoints.restore(record.imageId, record.storageId, checkpointId);
  }));
}

/** A new workspace `name` on checkpoint `checkpointId`'s layers: they are shared, not copied. */
export function forkCheckpoint(imageId: string, checkpointId: string, name: string, settings: BootSettings): Promise<WorkspaceRecord> {
  return withWorkspaceRegistry((registry) => registry.checkpoints.fork(imageId, checkpointId, name, settings));
}

/**
 * Deletes checkpoint `checkpointId` if nothing stacks it (see CheckpointBook.remove for why a
 * used one is refused), then its frozen leaf. No workspace lock is needed: once the entry is
 * gone nothing can stack it, and while anything stacked it the entry could not go.
 */
export function deleteCheckpoint(imageId: string, checkpointId: string, options: LeafDeletionOptions = {}): Promise<void> {
  return withWorkspaceRegistry(async (registry) => {
    const removed = await registry.checkpoints.remove(imageId, checkpointId);
    await deleteLeafDatabase(
      { imageId, storageId: removed.id, name: `checkpoint "${removed.name}"`, indexedDB: registry.factory },
      `deleting checkpoint "${removed.name}"`,
      options,
    );
  });
}

async function currentEntry(registry: WorkspaceRegistry, record: WorkspaceIdentity): Promise<WorkspaceRecord> {
  const current = await registry.getByStorage(record.imageId, record.storageId);
  if (!current) throw new WorkspaceRegistryError('missing', `Workspace "${record.name}" was deleted meanwhile (in another tab?).`);
  return current;
}

function liveLeaf(record: WorkspaceIdentity & Pick<WorkspaceRecord, 'leafId'>, registry: WorkspaceRegistry): LeafToDelete {
  return { imageId: record.imageId, storageId: liveLeafId(record), name: record.name, indexedDB: registry.factory };
}

/**
 * Deletes a workspace and frees its storage, under ONE hold of its lock: the leaf goes first,
 * then the registry entry. A tab opening the workspace meanwhile waits for the lock and then
 * finds no entry (see workspace-claim.ts), so it never recreates the leaf as a database that
 * nothing lists. If this tab dies in between, the workspace is still listed (empty) and can be
 * deleted again. A pending leaf delete (another connection holds it) keeps the entry, and the
 * lock, until the delete completes.
 */
export function deleteWorkspace(registry: WorkspaceRegistry, record: WorkspaceRecord, options: LeafDeletionOptions = {}): Promise<void> {
  return underWorkspaceLock(record, async () => {
    // Its checkpoints stay (listed with the checkpoints, deletable there): a fork or another
    // checkpoint may stack them.
    const current = (await registry.getByStorage(record.imageId, record.storageId)) ?? record;
    await deleteLeafDatabase(liveLeaf(current, registry), `deleting workspace "${record.name}"`, options);
    await registry.remove(record.imageId, record.storageId);
  });
}

export interface MeasuredWorkspace {
  record: WorkspaceRecord;
  /** undefined when the leaf could not be measured (e.g. storage unavailable). */
  usage: LeafUsage | undefined;
}

/** Each workspace with what its live leaf stores (its checkpoints are measured once each, apart). */
export function measureWorkspaces(records: readonly WorkspaceRecord[]): Promise<MeasuredWorkspace[]> {
  return Promise.all(
    records.map(async (record) => ({ record, usage: await leafUsageOrUnknown({ imageId: record.imageId, storageId: liveLeafId(record) }) })),
  );
}

/** What the given leaves store together (unmeasurable ones count as nothing). */
export function totalApproximateBytes(measured: ReadonlyArray<{ usage: LeafUsage | undefined }>): number {
  return measured.reduce((sum, { usage }) => sum + (usage?.approximateBytes ?? 0), 0);
}
