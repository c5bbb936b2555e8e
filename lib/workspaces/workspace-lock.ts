/**
 * One machine per workspace: a browser-wide Web Lock held while a lab has the workspace's leaf
 * open. Two tabs writing one leaf would interleave their guests' writes into one corrupt disk,
 * so a second tab is refused, and deleting or resetting a workspace takes the same lock.
 */

/** How long to wait for another tab (or a closing session of this one) to let go of a workspace. */
const WORKSPACE_LOCK_WAIT_MS = 3000;

export function workspaceLockName(imageId: string, storageId: string): string {
  return `leaflab-workspace:${imageId}:${storageId}`;
}

export class WorkspaceBusyError extends Error {
  constructor(imageId: string, workspaceName: string) {
    super(
      `Workspace "${workspaceName}" of image "${imageId}" is open in another tab or window of this browser. ` +
        'One machine at a time can use a workspace, or their writes would overwrite each other: ' +
        'close the other tab, then try again.',
    );
    this.name = 'WorkspaceBusyError';
  }
}

/**
 * Holds the workspace's lock until the returned release is called. It waits briefly first: a
 * session of this tab that is closing (a reset, React's development double mount) may still
 * hold the lock for a moment.
 */
export async function holdWorkspaceLock(imageId: string, storageId: string, workspaceName: string): Promise<() => void> {
  if (typeof navigator === 'undefined' || !navigator.locks) return () => {}; // no Web Locks: no guard
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const acquired = new Promise<void>((resolve, reject) => {
    navigator.locks
      .request(workspaceLockName(imageId, storageId), { signal: AbortSignal.timeout(WORKSPACE_LOCK_WAIT_MS) }, () => {
        resolve();
        return held;
      })
      .catch((error: unknown) => reject((error as Error).name === 'TimeoutError' ? new WorkspaceBusyError(imageId, workspaceName) : error));
  });
  await acquired;
  return release;
}

/** Storage ids of this image's workspaces that some tab of this browser has open now. */
export async function workspacesInUse(imageId: string): Promise<Set<string>> {
  if (typeof navigator === 'undefined' || !navigator.locks) return new Set();
  const prefix = workspaceLockName(imageId, '');
  const { held = [] } = await navigator.locks.query();
  return new Set(held.flatMap((lock) => (lock.name?.startsWith(prefix) ? [lock.name.slice(prefix.length)] : [])));
}

/** Runs `work` holding the workspace's lock (see holdWorkspaceLock), and lets go after. */
export async function withWorkspaceLock<T>(imageId: string, storageId: string, workspaceName: string, work: () => Promise<T>): Promise<T> {
  const release = await holdWorkspaceLock(imageId, storageId, workspaceName);
  try {
    return await work();
  } finally {
    release();
  }
}
