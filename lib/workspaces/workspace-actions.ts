/**
 * What the workspace controls do, beyond the registry's bookkeeping: each action that touches
 * a leaf takes the workspace's lock first and keeps it until the action is complete, so it
 * never pulls a disk from under a running machine, and no tab can open the leaf halfway.
 */
import type { LeafUsage } from '../disk';
import { leafUsageOrUnknown } from './leaf-databases';
import { deleteLeafDatabase, type LeafDeletionOptions } from './leaf-deletion';
import { withWorkspaceLock } from './workspace-lock';
import type { WorkspaceRecord, WorkspaceRegistry } from './workspace-registry';

function underWorkspaceLock<T>(record: WorkspaceRecord, work: () => Promise<T>): Promise<T> {
  return withWorkspaceLock(record.imageId, record.storageId, record.name, work);
}

/**
 * Discards a workspace's changes: its next boot starts from the pristine root. Resolves when
 * the leaf is gone; if another connection holds it, `onPending` hears so first.
 */
export function discardWorkspaceChanges(record: WorkspaceRecord, options: LeafDeletionOptions = {}): Promise<void> {
  return underWorkspaceLock(record, () => deleteLeafDatabase(record, `resetting workspace "${record.name}"`, options));
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
    await deleteLeafDatabase({ ...record, indexedDB: registry.factory }, `deleting workspace "${record.name}"`, options);
    await registry.remove(record.imageId, record.storageId);
  });
}

export interface MeasuredWorkspace {
  record: WorkspaceRecord;
  /** undefined when the leaf could not be measured (e.g. storage unavailable). */
  usage: LeafUsage | undefined;
}

/** Each workspace with what its leaf stores. */
export function measureWorkspaces(records: readonly WorkspaceRecord[]): Promise<MeasuredWorkspace[]> {
  return Promise.all(records.map(async (record) => ({ record, usage: await leafUsageOrUnknown(record) })));
}

/** What the given leaves store together (unmeasurable ones count as nothing). */
export function totalApproximateBytes(measured: ReadonlyArray<{ usage: LeafUsage | undefined }>): number {
  return measured.reduce((sum, { usage }) => sum + (usage?.approximateBytes ?? 0), 0);
}
