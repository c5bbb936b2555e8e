// A lab's workspace in the registry: made on the lab's published layers, and its progress kept
// with it by storage id (the absurd-sql twin here is fake-indexeddb; the lesson e2e uses Chromium's).
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { WorkspaceRegistry, WorkspaceRegistryError } from '@/lib/workspaces/workspace-registry';

const SETTINGS = { memoryMiB: 512, vgaMemoryMiB: 8, acpi: true };
const LAYER = { kind: 'published' as const, id: 'a'.repeat(64) };

describe('a lab workspace', () => {
  it('is made on the given layers the first time, and keeps its own layers when opened again', async () => {
    const registry = await WorkspaceRegistry.open(new IDBFactory());
    const { record, created } = await registry.openOrCreate('debian-lab', 'lab-basics', SETTINGS, 1, [LAYER]);
    expect(created).toBe(true);
    expect(record.layers).toEqual([LAYER]);
    expect(record.baseLayers).toEqual([LAYER]);
    const again = await registry.openOrCreate('debian-lab', 'lab-basics', SETTINGS, 2, []);
    expect(again.record.layers).toEqual([LAYER]);
  });

  it('keeps the progress under its storage id, across a rename', async () => {
    const registry = await WorkspaceRegistry.open(new IDBFactory());
    const { record } = await registry.openOrCreate('debian-lab', 'lab-basics', SETTINGS);
    await registry.rename('debian-lab', 'lab-basics', 'mine');
    await registry.saveLessonProgress('debian-lab', record.storageId, { format: 1, labId: 'basics' });
    expect((await registry.get('debian-lab', 'mine'))?.lessonProgress).toEqual({ format: 1, labId: 'basics' });
  });

  it('refuses to save progress for a workspace that is gone, saying what to do', async () => {
    const registry = await WorkspaceRegistry.open(new IDBFactory());
    const { record } = await registry.openOrCreate('debian-lab', 'lab-basics', SETTINGS);
    await registry.remove('debian-lab', record.storageId);
    const saving = registry.saveLessonProgress('debian-lab', record.storageId, {});
    await expect(saving).rejects.toBeInstanceOf(WorkspaceRegistryError);
    await expect(saving).rejects.toThrow(/reload the page/);
  });
});
