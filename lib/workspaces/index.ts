/** Workspaces: several leaves per image, each with a name, machine settings and its own lock. */
export { DEFAULT_WORKSPACE_NAME, WORKSPACE_NAME_MAX_LENGTH, WorkspaceNameError, assertWorkspaceName, firstFreeWorkspaceName, workspaceNameProblem } from './workspace-name';
export { REGISTRY_DATABASE_NAME, WorkspaceRegistry, WorkspaceRegistryError, withWorkspaceRegistry } from './workspace-registry';
export type { WorkspaceRecord } from './workspace-registry';
export { liveLeafId } from './registry-schema';
export type { CheckpointRecord, LayerRef } from './checkpoint-record';
export { WorkspaceBusyError, holdWorkspaceLock, withWorkspaceLock, workspaceLockName, workspacesInUse } from './workspace-lock';
export { WorkspaceDeletedError, claimWorkspace } from './workspace-claim';
export { deleteCheckpoint, deleteWorkspace, forkCheckpoint, discardWorkspaceChanges, measureWorkspaces, restoreCheckpoint, totalApproximateBytes } from './workspace-actions';
export type { MeasuredWorkspace } from './workspace-actions';
export { pendingDeletionNotice } from './leaf-deletion';
export type { LeafDeletionOptions } from './leaf-deletion';
export { LEGACY_STORAGE_ID, leafDatabaseExists, listLeafDatabases, parseLeafDatabaseName } from './leaf-databases';
export type { LeafDatabaseRef } from './leaf-databases';
export { findUnlistedLeaves, keepUnlistedLeaf, measureUnlistedLeaves, removeUnlistedLeaf, takeLeafInventory } from './unlisted-leaves';
export type { LeafInventory, MeasuredUnlistedLeaf, UnlistedLeaf } from './unlisted-leaves';
