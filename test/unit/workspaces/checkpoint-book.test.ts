// idb recognises requests by the IDB* globals, so install them too.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { CheckpointRecord } from '@/lib/workspaces/checkpoint-record';
import { liveLeafId } from '@/lib/workspaces/registry-schema';
import { WorkspaceRegistry, WorkspaceRegistryError } from '@/lib/workspaces/workspace-registry';

const SETTINGS = { memoryMiB: 128, vgaMemoryMiB: 8, acpi: true };

function checkpointOf(workspace: { storageId: string; name: string; leafId?: string; layers?: CheckpointRecord['layers'] }, name: string): CheckpointRecord {
  const id = liveLeafId(workspace);
  return {
    imageId: 'img',
    id,
    name,
    createdAt: 1000,
    layers: [...(workspace.layers ?? []), { kind: 'checkpoint', id }],
    madeInStorageId: workspace.storageId,
    madeInName: workspace.name,
    sizeBytes: 32768,
  };
}

async function refusal(promise: Promise<unknown>): Promise<WorkspaceRegistryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkspaceRegistryError);
  return error as WorkspaceRegistryError;
}

describe('CheckpointBook', () => {
  it('records a frozen leaf and moves the workspace onto a new leaf stacking it, in one step', async () => {
    const registry = await WorkspaceRegistry.open(new IDBFactory());
    const workspace = await registry.create('img', 'main', SETTINGS);
    const first = checkpointOf(workspace, 'one');
    const moved = await registry.checkpoints.recordFrozenLeaf(first, 'ws-next-1');
    expect(moved).toMatchObject({ storageId: workspace.storageId, leafId: 'ws-next-1', layers: [{ kind: 'checkpoint', id: workspace.storageId }] });
    const second = checkpointOf(moved, 'two');
    expect(second.layers.map((layer) => layer.id)).toEqual([workspace.storageId, 'ws-next-1']);
    await registry.checkpoints.recordFrozenLeaf(second, 'ws-next-2');
    expect((await registry.checkpoints.list('img')).map((c) => c.name)).toEqual(['one', 'two']);
    // Recording against a workspace that moved on (another tab) is refused, and changes nothing.
    expect((await refusal(registry.checkpoints.recordFrozenLeaf(checkpointOf(moved, 'stale'), 'ws-x'))).kind).toBe('in-use');
    expect((await registry.checkpoints.list('img')).length).toBe(2);
    expect(liveLeafId((await registry.getByStorage('img', workspace.storageId))!)).toBe('ws-next-2');
  });

  it('refuses to delete a checkpoint a workspace, a fork or a later checkpoint stacks, naming them; deletes it once none does', async () => {
    const registry = await WorkspaceRegistry.open(new IDBFactory());
    const workspace = await registry.create('img', 'main', SETTINGS);
    const one = checkpointOf(workspace, 'one');
    const moved = await registry.checkpoints.recordFrozenLeaf(one, 'ws-next-1');
    const fork = await registry.checkpoints.fork('img', one.id, 'fork', SETTINGS);
    expect(fork.layers).toEqual(one.layers);
    expect(fork.baseLayers).toEqual(one.layers);
    const two = checkpointOf(moved, 'two');
    await registry.checkpoints.recordFrozenLeaf(two, 'ws-next-2');

    const used = await refusal(registry.checkpoints.remove('img', one.id));
    expect(used.kind).toBe('in-use');
    for (const user of ['workspace "main"', 'workspace "fork"', 'checkpoint "two"']) expect(used.message).toContain(user);
    // "main" goes back to its base (the bare image), the fork is deleted, "two" is deleted: now free.
    await registry.checkpoints.resetToBase('img', workspace.storageId);
    await registry.remove('img', fork.storageId);
    await registry.checkpoints.remove('img', two.id);
    await expect(registry.checkpoints.remove('img', one.id)).resolves.toMatchObject({ name: 'one' });
    expect(await registry.checkpoints.list('img')).toEqual([]);
  });

  it('restores a workspace onto a checkpoint’s chain; fork refuses a taken name or a deleted checkpoint', async () => {
    const registry = await WorkspaceRegistry.open(new IDBFactory());
    const workspace = await registry.create('img', 'main', SETTINGS);
    const one = checkpointOf(workspace, 'one');
    const moved = await registry.checkpoints.recordFrozenLeaf(one, 'ws-next-1');
    await registry.checkpoints.recordFrozenLeaf(checkpointOf(moved, 'two'), 'ws-next-2');
    const restored = await registry.checkpoints.restore('img', workspace.storageId, one.id);
    expect(restored.layers).toEqual(one.layers);
    expect((await refusal(registry.checkpoints.fork('img', one.id, 'main', SETTINGS))).kind).toBe('exists');
    expect((await refusal(registry.checkpoints.fork('img', 'ws-gone', 'other', SETTINGS))).kind).toBe('missing');
    expect((await registry.list('img')).map((w) => w.name)).toEqual(['main']);
  });
});
