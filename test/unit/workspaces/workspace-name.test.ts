import { describe, expect, it } from 'vitest';
import { firstFreeWorkspaceName, workspaceNameProblem } from '@/lib/workspaces/workspace-name';

describe('workspace names', () => {
  it.each(['default', 'a', 'week-2', 'lab_1.b', '0', 'x'.repeat(40)])('accepts %s', (name) => {
    expect(workspaceNameProblem(name)).toBeUndefined();
  });

  it.each(['', 'A', 'with space', '-lead', '.hidden', 'a/b', 'é', '<script>', 'x'.repeat(41)])('refuses %j', (name) => {
    expect(workspaceNameProblem(name)).toMatch(/workspace name/);
  });

  it('picks the first free numbered name', () => {
    expect(firstFreeWorkspaceName('shared', new Set())).toBe('shared-1');
    expect(firstFreeWorkspaceName('shared', new Set(['shared-1', 'shared-3']))).toBe('shared-2');
  });
});
