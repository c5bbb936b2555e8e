/**
 * Claiming a workspace's leaf to run a machine on it: the workspace's lock, then a check,
 * under that lock, that the registry still lists the leaf. Deleting a workspace removes the
 * leaf and its entry under one hold of the same lock (workspace-actions.ts), so a claim sees
 * either both or neither: a tab that resolved the workspace just before another tab deleted it
 * is refused here instead of opening, and so recreating, a leaf nothing lists.
 */
import { holdWorkspaceLock } from './workspace-lock';
import { withWorkspaceRegistry, type WorkspaceRecord } from './workspace-registry';

export class WorkspaceDeletedError extends Error {
  constructor(imageId: string, workspaceName: string) {
    super(
      `Workspace "${workspaceName}" of image "${imageId}" was deleted (in another tab or window) while this tab was opening it. ` +
        `Reload to open a new, empty "${workspaceName}", or pick another workspace.`,
    );
    this.name = 'WorkspaceDeletedError';
  }
}

/** Holds the workspace's lock, for a leaf the registry lists, until the returned release is called. */
export async function claimWorkspace(imageId: string, storageId: string, workspaceName: string): Promise<() => void> {
  return (await claimWorkspaceDisk(imageId, storageId, workspaceName)).release;
}

/**
 * `claimWorkspace`, also answering with the workspace's entry as read under the lock: which
 * live leaf and which layers its disk is now (a checkpoint or restore in another tab changes
 * them, and cannot while this tab holds the lock).
 */
export async function claimWorkspaceDisk(imageId: string, storageId: string, workspaceName: string): Promise<{ release: () => void; record: WorkspaceRecord }> {
  const release = await holdWorkspaceLock(imageId, storageId, workspaceName);
  try {
    const listed = await withWorkspaceRegistry((registry) => registry.getByStorage(imageId, storageId));
    if (!listed) throw new WorkspaceDeletedError(imageId, workspaceName);
    return { release, record: listed };
  } catch (error) {
    release();
    throw error;
  }
}
