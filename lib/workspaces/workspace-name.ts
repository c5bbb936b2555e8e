/**
 * Workspace names: what a user types and what `?ws=` carries in a link. Restricted so that a
 * name is readable in a URL without escaping and cannot be confused with another one.
 */

/** The workspace a lab opens when the link names none. */
export const DEFAULT_WORKSPACE_NAME = 'default';

export const WORKSPACE_NAME_MAX_LENGTH = 40;
const WORKSPACE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** `undefined` when `name` is a valid workspace name, otherwise why it is not, in words. */
export function workspaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'A workspace name cannot be empty.';
  if (name.length > WORKSPACE_NAME_MAX_LENGTH) return `A workspace name has at most ${WORKSPACE_NAME_MAX_LENGTH} characters.`;
  if (!WORKSPACE_NAME_PATTERN.test(name)) {
    return 'A workspace name uses lower-case letters, digits, ".", "-" and "_", and starts with a letter or digit.';
  }
  return undefined;
}

export class WorkspaceNameError extends Error {
  constructor(readonly workspaceName: string, problem: string) {
    super(`"${workspaceName}" is not a workspace name. ${problem}`);
    this.name = 'WorkspaceNameError';
  }
}

export function assertWorkspaceName(name: string): void {
  const problem = workspaceNameProblem(name);
  if (problem) throw new WorkspaceNameError(name, problem);
}

/** The first of `<prefix>-1`, `<prefix>-2`, … that `taken` does not hold. */
export function firstFreeWorkspaceName(prefix: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n += 1) {
    const name = `${prefix}-${n}`;
    if (!taken.has(name)) return name;
  }
}
