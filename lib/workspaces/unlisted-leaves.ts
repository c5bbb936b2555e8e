/**
 * Leaf databases that no registry entry lists. They come from before workspaces existed
 * (storage id "default"), from older Leaflab versions whose delete let a tab recreate a leaf
 * between its two steps, or from a tab killed halfway through an action.
 *
 * They are listed (the Storage panel), never removed silently: such a leaf can hold writes a
 * guest was told were saved (a tab that recreated it kept working in it), and a tab of an
 * older Leaflab may be using it without taking the lock. The user sees each with its size and
 * chooses: keep it as a workspace, or remove it.
 */
import type { LeafUsage } from '../disk';
import type { BootSettings } from '../images/manifest';
import { LEGACY_STORAGE_ID, leafDatabaseExists, leafUsageOrUnknown, listLeafDatabases, type LeafDatabaseRef } from './leaf-databases';
import { deleteLeafDatabase, type LeafDeletionOptions } from './leaf-deletion';
import { DEFAULT_WORKSPACE_NAME } from './workspace-name';
import { withWorkspaceLock } from './workspace-lock';
import { liveLeafId, WorkspaceRegistryError, type WorkspaceRecord, type WorkspaceRegistry } from './workspace-registry';

export interface UnlistedLeaf extends LeafDatabaseRef {
  /** The disk of a lab from before workspaces existed. */
  fromBeforeWorkspaces: boolean;
}

export interface MeasuredUnlistedLeaf {
  leaf: UnlistedLeaf;
  usage: LeafUsage | undefined;
}

export interface LeafInventory {
  /** The image's workspaces, most recently used first. */
  workspaces: WorkspaceRecord[];
  /** The image's leaf databases that no workspace lists; [] where the browser cannot list databases. */
  unlisted: UnlistedLeaf[];
}

/**
 * The image's workspaces and its unlisted leaves. The databases are listed before the
 * entries: an entry is made before its leaf, so a workspace created meanwhile is never taken
 * for an unlisted leaf.
 */
export async function takeLeafInventory(registry: WorkspaceRegistry, imageId: string): Promise<LeafInventory> {
  const databases = await listLeafDatabases(registry.factory, imageId);
  const workspaces = await registry.list(imageId);
  const checkpoints = await registry.checkpoints.list(imageId);
  const listed = new Set([
    ...workspaces.flatMap((record) => [record.storageId, liveLeafId(record)]),
    ...checkpoints.map((checkpoint) => checkpoint.id),
  ]);
  const unlisted = databases
    .filter((database) => !listed.has(database.storageId))
    .map((database) => ({ ...database, fromBeforeWorkspaces: database.storageId === LEGACY_STORAGE_ID }));
  return { workspaces, unlisted };
}

/** The image's leaf databases that no workspace lists. */
export async function findUnlistedLeaves(registry: WorkspaceRegistry, imageId: string): Promise<UnlistedLeaf[]> {
  return (await takeLeafInventory(registry, imageId)).unlisted;
}

export function measureUnlistedLeaves(leaves: readonly UnlistedLeaf[]): Promise<MeasuredUnlistedLeaf[]> {
  return Promise.all(leaves.map(async (leaf) => ({ leaf, usage: await leafUsageOrUnknown(leaf) })));
}

/** Runs `work` holding the lock the leaf's workspace would have. */
function underLeafLock<T>(leaf: UnlistedLeaf, work: () => Promise<T>): Promise<T> {
  return withWorkspaceLock(leaf.imageId, leaf.storageId, leaf.storageId, work);
}

/** What lists the leaf now (a workspace's disk or a checkpoint), if anything does. */
async function describeListing(registry: WorkspaceRegistry, leaf: UnlistedLeaf): Promise<string | undefined> {
  const [workspaces, checkpoint] = await Promise.all([registry.list(leaf.imageId), registry.checkpoints.get(leaf.imageId, leaf.storageId)]);
  const workspace = workspaces.find((record) => record.storageId === leaf.storageId || liveLeafId(record) === leaf.storageId);
  if (workspace) return `workspace "${workspace.name}"`;
  return checkpoint ? `checkpoint "${checkpoint.name}"` : undefined;
}

/**
 * Deletes an unlisted leaf, unless a workspace lists it by now. Under its lock: a tab running
 * a machine on it is never robbed of its disk (the lock is busy), and a tab keeping it as a
 * workspace at the same moment goes before or after, never halfway.
 */
export function removeUnlistedLeaf(registry: WorkspaceRegistry, leaf: UnlistedLeaf, options: LeafDeletionOptions = {}): Promise<void> {
  return underLeafLock(leaf, async () => {
    const listedAs = await describeListing(registry, leaf);
    if (listedAs) {
      throw new WorkspaceRegistryError(
        'exists',
        `That disk is ${listedAs} now (listed in another tab meanwhile); delete it there if you no longer need it.`,
      );
    }
    await deleteLeafDatabase({ ...leaf, name: leaf.storageId, indexedDB: registry.factory }, `removing the leftover disk ${leaf.storageId}`, options);
  });
}

/**
 * Lists an unlisted leaf as a workspace with `settings`: a disk from before workspaces as
 * `default` if that name is free, any other as `recovered-<n>`. Returns its entry.
 */
export function keepUnlistedLeaf(registry: WorkspaceRegistry, leaf: UnlistedLeaf, settings: BootSettings): Promise<WorkspaceRecord> {
  return underLeafLock(leaf, async () => {
    if ((await leafDatabaseExists(registry.factory, leaf.imageId, leaf.storageId)) === false) {
      throw new WorkspaceRegistryError('missing', `The leftover disk ${leaf.storageId} was removed meanwhile (in another tab?).`);
    }
    return registry.adopt(leaf.imageId, leaf.storageId, settings, leaf.fromBeforeWorkspaces ? DEFAULT_WORKSPACE_NAME : undefined);
  });
}
