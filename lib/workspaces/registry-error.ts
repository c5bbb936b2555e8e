/** Errors of the workspace list, worded for the person who has to act on them. */

export class WorkspaceRegistryError extends Error {
  constructor(
    readonly kind: 'exists' | 'missing' | 'unavailable' | 'in-use',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'WorkspaceRegistryError';
  }
}

export function unavailable(error: unknown, action: string): WorkspaceRegistryError {
  if (error instanceof WorkspaceRegistryError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const quota = error instanceof Error && error.name === 'QuotaExceededError';
  return new WorkspaceRegistryError(
    'unavailable',
    quota
      ? `The browser's storage quota is full, so ${action} failed. Delete workspaces you no longer need (Storage panel) and try again.`
      : `The browser's list of workspaces could not be used while ${action} (${detail}). Reload the page; if it persists, this browser blocks site storage.`,
    { cause: error },
  );
}
