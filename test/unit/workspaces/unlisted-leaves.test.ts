/**
 * Leaf databases no workspace lists: found with indexedDB.databases(), listed, and kept or
 * removed only at the user's word (fake-indexeddb; test/browser runs the real one).
 */
// idb recognises requests by the IDB* globals, so install them too.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { leafDatabaseName, measureLeafStore } from '@/lib/disk/idb-leaf-store';
import { LEGACY_STORAGE_ID, parseLeafDatabaseName } from '@/lib/workspaces/leaf-databases';
import { findUnlistedLeaves, keepUnlistedLeaf, removeUnlistedLeaf, takeLeafInventory } from '@/lib/workspaces/unlisted-leaves';
import { WorkspaceRegistry } from '@/lib/workspaces/workspace-registry';
import { databaseNames, leafBlockCount, SETTINGS, writeLeaf } from './leaf-fixtures';

const ORPHAN_ID = 'ws-0rphan00-0000-4000-8000-000000000000';

/** A browser with: a listed workspace, an orphan, an old lab's disk, another image's orphan, and a database that is no leaf. */
async function browserWithLeftovers() {
  const factory = new IDBFactory();
  const registry = await WorkspaceRegistry.open(factory);
  const listed = await registry.create('img', 'week-1', SETTINGS);
  await writeLeaf('img', listed.storageId, 1, factory);
  await writeLeaf('img', ORPHAN_ID, 3, factory);
  await writeLeaf('img', LEGACY_STORAGE_ID, 2, factory);
  await writeLeaf('other-img', ORPHAN_ID, 1, factory);
  await new Promise<void>((resolve) => {
    const request = factory.open('someone-elses-database');
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
  });
  return { factory, registry, listed };
}

describe('leaf database names', () => {
  it('parses what leafDatabaseName makes, and nothing else', () => {
    expect(parseLeafDatabaseName(leafDatabaseName('debian-lab', ORPHAN_ID))).toEqual({
      imageId: 'debian-lab',
      storageId: ORPHAN_ID,
      databaseName: `leaflab-leaf:debian-lab:${ORPHAN_ID}`,
    });
    for (const name of ['leaflab-workspaces', 'leaflab-leaf:img', 'leaflab-leaf::x', 'leaflab-leaf:img:', 'leaflab-leaf:a:b:c', 'x-leaflab-leaf:a:b']) {
      expect(parseLeafDatabaseName(name)).toBeUndefined();
    }
  });
});

describe('unlisted leaves', () => {
  it('finds the image’s leaf databases that no workspace lists, and only those', async () => {
    const { registry, listed } = await browserWithLeftovers();
    const unlisted = await findUnlistedLeaves(registry, 'img');
    expect(unlisted.map(({ storageId, fromBeforeWorkspaces }) => ({ storageId, fromBeforeWorkspaces })).sort((a, b) => a.storageId.localeCompare(b.storageId))).toEqual([
      { storageId: LEGACY_STORAGE_ID, fromBeforeWorkspaces: true },
      { storageId: ORPHAN_ID, fromBeforeWorkspaces: false },
    ]);
    const inventory = await takeLeafInventory(registry, 'img');
    expect(inventory.workspaces.map((record) => record.storageId)).toEqual([listed.storageId]);
    expect((await findUnlistedLeaves(registry, 'other-img')).map((leaf) => leaf.storageId)).toEqual([ORPHAN_ID]);
    expect(await findUnlistedLeaves(registry, 'no-such-image')).toEqual([]);
  });

  it('removes one at the user’s word and leaves every other database alone', async () => {
    const { factory, registry, listed } = await browserWithLeftovers();
    const before = await databaseNames(factory);
    const [orphan] = (await findUnlistedLeaves(registry, 'img')).filter((leaf) => leaf.storageId === ORPHAN_ID);
    await removeUnlistedLeaf(registry, orphan!);
    expect(await databaseNames(factory)).toEqual(before.filter((name) => name !== leafDatabaseName('img', ORPHAN_ID)));
    expect(await leafBlockCount('img', listed.storageId, factory)).toBe(1);
    expect((await findUnlistedLeaves(registry, 'img')).map((leaf) => leaf.storageId)).toEqual([LEGACY_STORAGE_ID]);
  });

  it('keeps them as workspaces with their data: an old lab’s disk as "default", others as recovered-<n>', async () => {
    const { factory, registry } = await browserWithLeftovers();
    const leaves = await findUnlistedLeaves(registry, 'img');
    const kept = await Promise.all(leaves.map((leaf) => keepUnlistedLeaf(registry, leaf, SETTINGS)));
    expect(kept.map(({ name, storageId }) => ({ name, storageId })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'default', storageId: LEGACY_STORAGE_ID },
      { name: 'recovered-1', storageId: ORPHAN_ID },
    ]);
    expect(await findUnlistedLeaves(registry, 'img')).toEqual([]);
    expect(await leafBlockCount('img', ORPHAN_ID, factory)).toBe(3);
    // Keeping twice (two tabs) lists it once.
    expect(await keepUnlistedLeaf(registry, leaves[0]!, SETTINGS)).toEqual(kept[0]);
    expect((await registry.list('img')).length).toBe(3);
  });

  it('refuses to remove a leaf a workspace lists by now, and to keep one removed meanwhile', async () => {
    const { factory, registry } = await browserWithLeftovers();
    const leaves = await findUnlistedLeaves(registry, 'img');
    const orphan = leaves.find((leaf) => leaf.storageId === ORPHAN_ID)!;
    const old = leaves.find((leaf) => leaf.storageId === LEGACY_STORAGE_ID)!;
    await keepUnlistedLeaf(registry, orphan, SETTINGS); // in "another tab"
    await expect(removeUnlistedLeaf(registry, orphan)).rejects.toMatchObject({ kind: 'exists', message: expect.stringContaining('recovered-1') });
    expect(await leafBlockCount('img', ORPHAN_ID, factory)).toBe(3);
    await removeUnlistedLeaf(registry, old); // in "another tab"
    await expect(keepUnlistedLeaf(registry, old, SETTINGS)).rejects.toMatchObject({ kind: 'missing' });
    expect(await registry.getByStorage('img', LEGACY_STORAGE_ID)).toBeUndefined();
  });
});

describe('measuring a leaf', () => {
  it('never creates one, even where the browser cannot list its databases', async () => {
    const factory = new IDBFactory();
    // A browser without indexedDB.databases(): measuring must open, and must not create.
    const withoutListing = new Proxy(factory, {
      get: (target, key) => (key === 'databases' ? undefined : Reflect.get(target, key, target).bind(target)),
    });
    expect(await measureLeafStore({ imageId: 'img', storageId: 'w', indexedDB: withoutListing })).toEqual({ blockCount: 0, approximateBytes: 0 });
    expect(await databaseNames(factory)).toEqual([]);
    await writeLeaf('img', 'w', 2, factory);
    expect((await measureLeafStore({ imageId: 'img', storageId: 'w', indexedDB: withoutListing })).blockCount).toBe(2);
  });
});
