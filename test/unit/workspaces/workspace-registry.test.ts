// idb recognises requests by the IDB* globals, so install them too.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { WorkspaceRegistry } from '@/lib/workspaces/workspace-registry';

const SETTINGS = { memoryMiB: 128, vgaMemoryMiB: 8, acpi: true };

async function freshRegistry() {
  return WorkspaceRegistry.open(new IDBFactory());
}

describe('WorkspaceRegistry', () => {
  it('creates a workspace on first open and reopens the same one later', async () => {
    const registry = await freshRegistry();
    const first = await registry.openOrCreate('img', 'week-1', SETTINGS, 1000);
    expect(first.created).toBe(true);
    const again = await registry.openOrCreate('img', 'week-1', { ...SETTINGS, memoryMiB: 512 }, 2000);
    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ storageId: first.record.storageId, createdAt: 1000, lastUsedAt: 2000, settings: SETTINGS });
  });

  it('gives every new workspace, default too, a fresh storage id: a new "a" never inherits the old one\'s leaf', async () => {
    const registry = await freshRegistry();
    const { record: defaultWorkspace } = await registry.openOrCreate('img', 'default', SETTINGS);
    expect(defaultWorkspace.storageId).toMatch(/^ws-[0-9a-f-]{36}$/);
    const a = await registry.create('img', 'a', SETTINGS);
    await registry.remove('img', a.storageId);
    const aAgain = await registry.create('img', 'a', SETTINGS);
    expect(aAgain.storageId).toMatch(/^ws-/);
    expect(aAgain.storageId).not.toBe(a.storageId);
    expect(aAgain.storageId).not.toBe(defaultWorkspace.storageId);
  });

  it('removes by storage id: an entry made again under the same name for another leaf stays', async () => {
    const registry = await freshRegistry();
    const stale = await registry.create('img', 'a', SETTINGS);
    await registry.remove('img', stale.storageId); // another tab deleted "a"…
    const remade = await registry.create('img', 'a', SETTINGS); // …and a link made it again
    await registry.remove('img', stale.storageId); // this tab's late delete of the old "a"
    expect(await registry.get('img', 'a')).toEqual(remade);
    expect(await registry.getByStorage('img', remade.storageId)).toEqual(remade);
    expect(await registry.getByStorage('img', stale.storageId)).toBeUndefined();
  });

  it('refuses a duplicate name and an invalid one', async () => {
    const registry = await freshRegistry();
    await registry.create('img', 'a', SETTINGS);
    await expect(registry.create('img', 'a', SETTINGS)).rejects.toMatchObject({ kind: 'exists' });
    await expect(registry.create('img', 'Not OK', SETTINGS)).rejects.toThrow(/not a workspace name/);
    await expect(registry.create('other-image', 'a', SETTINGS)).resolves.toMatchObject({ imageId: 'other-image' });
  });

  it('renames in place: same leaf, old name gone, taken names refused', async () => {
    const registry = await freshRegistry();
    const a = await registry.create('img', 'a', SETTINGS);
    await registry.create('img', 'b', SETTINGS);
    await expect(registry.rename('img', 'a', 'b')).rejects.toMatchObject({ kind: 'exists' });
    await expect(registry.rename('img', 'missing', 'c')).rejects.toMatchObject({ kind: 'missing' });
    const renamed = await registry.rename('img', 'a', 'c');
    expect(renamed).toMatchObject({ name: 'c', storageId: a.storageId });
    expect(await registry.get('img', 'a')).toBeUndefined();
    expect((await registry.list('img')).map((r) => r.name).sort()).toEqual(['b', 'c']);
  });

  it('lists one image, most recently used first, and saves settings', async () => {
    const registry = await freshRegistry();
    await registry.openOrCreate('img', 'old', SETTINGS, 1);
    await registry.openOrCreate('img', 'new', SETTINGS, 5);
    await registry.openOrCreate('img2', 'elsewhere', SETTINGS, 9);
    expect((await registry.list('img')).map((r) => r.name)).toEqual(['new', 'old']);
    const updated = await registry.updateSettings('img', 'old', { ...SETTINGS, memoryMiB: 256 });
    expect((await registry.get('img', 'old'))?.settings.memoryMiB).toBe(256);
    expect(updated.settings.memoryMiB).toBe(256);
    await expect(registry.updateSettings('img', 'gone', SETTINGS)).rejects.toMatchObject({ kind: 'missing' });
  });
});
