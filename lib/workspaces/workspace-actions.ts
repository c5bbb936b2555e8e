/**
 * What the workspace controls do, beyond the registry's bookkeeping: each action that touches
 * a leaf takes the workspace's lock first, so it never pulls a disk from under a running machine.
 */
import { IdbLeafStore, measureLeafStore, type LeafUsage } from '../disk';
import { holdWorkspaceLock } from './workspace-lock';
import type { WorkspaceRecord, WorkspaceRegistry } from './workspace-registry';

/** Discards a workspace's changes: its next boot starts from the pristine root. */
export async function discardWorkspaceChanges(record: WorkspaceRecord): Promise<void> {
  const release = await holdWorkspaceLock(record.imageId, record.storageId, record.name);
  try {
    await new IdbLeafStore({ imageId: record.imageId, storageId: record.storageId, workspaceName: record.name }).destroy();
  } finally {
    release();
  }
}

/**
 * Deletes a workspace and frees its storage. The leaf goes first and the registry entry
 * second: if the tab dies in between, the workspace is still listed (empty) and can be
 * deleted again, and no data is left behind that nothing lists.
 */
export async function deleteWorkspace(registry: WorkspaceRegistry, record: WorkspaceRecord): Promise<void> {
  await discardWorkspaceChanges(record);
  await registry.remove(record.imageId, record.name);
}

export interface MeasuredWorkspace {
  record: WorkspaceRecord;
  /** undefined when the leaf could not be measured (e.g. storage unavailable). */
  usage: LeafUsage | undefined;
}

/** Each workspace with what its leaf stores. */
export function measureWorkspaces(records: readonly WorkspaceRecord[]): Promise<MeasuredWorkspace[]> {
  return Promise.all(
    records.map(async (record) => ({
      record,
      usage: await measureLeafStore({ imageId: record.imageId, storageId: record.storageId }).catch(() => undefined),
    })),
  );
}

/** What all the given workspaces store together (unmeasurable ones count as nothing). */
export function totalApproximateBytes(measured: readonly MeasuredWorkspace[]): number {
  return measured.reduce((sum, { usage }) => sum + (usage?.approximateBytes ?? 0), 0);
}
