/** Workspaces: several leaves per image, each with a name, machine settings and its own lock. */
export { DEFAULT_WORKSPACE_NAME, WORKSPACE_NAME_MAX_LENGTH, WorkspaceNameError, assertWorkspaceName, firstFreeWorkspaceName, workspaceNameProblem } from './workspace-name';
export { REGISTRY_DATABASE_NAME, WorkspaceRegistry, WorkspaceRegistryError, withWorkspaceRegistry } from './workspace-registry';
export type { WorkspaceRecord } from './workspace-registry';
export { WorkspaceBusyError, holdWorkspaceLock, workspaceLockName, workspacesInUse } from './workspace-lock';
export { deleteWorkspace, discardWorkspaceChanges, measureWorkspaces, totalApproximateBytes } from './workspace-actions';
export type { MeasuredWorkspace } from './workspace-actions';
