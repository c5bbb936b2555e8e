/**
 * Renaming `default` and then following a plain link (`/lab/<id>`, which means "the workspace
 * named default"). When default's storage id was its name, the renamed workspace kept storage
 * id "default" and the plain link's new default asked for the same one: the registry's unique
 * index refused it and the lab showed a wrong "reload" message for good.
 */
// idb recognises requests by the IDB* globals, so install them too.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { leafDatabaseName } from '@/lib/disk/idb-leaf-store';
import { LEGACY_STORAGE_ID } from '@/lib/workspaces/leaf-databases';
import { takeLeafInventory } from '@/lib/workspaces/unlisted-leaves';
import { REGISTRY_DATABASE_NAME, WorkspaceRegistry } from '@/lib/workspaces/workspace-registry';
import { databaseNames, leafBlockCount, SETTINGS, writeLeaf } from './leaf-fixtures';

/** What the lab does for a link: resolve the workspace it names, then use its leaf. */
async function openLink(registry: WorkspaceRegistry, name = 'default') {
  return registry.openOrCreate('img', name, SETTINGS);
}

describe('renaming default, then opening a plain link', () => {
  it('opens a new, empty default with a new storage id; the renamed one keeps its leaf', async () => {
    const factory = new IDBFactory();
    const registry = await WorkspaceRegistry.open(factory);
    const { record: original } = await openLink(registry);
    await writeLeaf('img', original.storageId, 3, factory);

    const renamed = await registry.rename('img', 'default', 'mine');
    expect(renamed.storageId).toBe(original.storageId);
    const { record: fresh, created } = await openLink(registry);

    expect(created).toBe(true);
    expect(fresh.name).toBe('default');
    expect(fresh.storageId).not.toBe(original.storageId);
    expect(await leafBlockCount('img', fresh.storageId, factory)).toBe(0);
    expect(await registry.get('img', 'mine')).toMatchObject({ storageId: original.storageId });
    expect(await leafBlockCount('img', original.storageId, factory)).toBe(3);
    // And again: the new default can be renamed too, and the link still works.
    await registry.rename('img', 'default', 'mine-2');
    const third = await openLink(registry);
    expect(third.created).toBe(true);
    expect(new Set([original.storageId, fresh.storageId, third.record.storageId]).size).toBe(3);
    registry.close();
  });

  it('does the same for a default that took over the disk of a lab from before workspaces (storage id "default")', async () => {
    const factory = new IDBFactory();
    await writeLeaf('img', LEGACY_STORAGE_ID, 2, factory); // the leaf an old lab left, no registry yet
    const registry = await WorkspaceRegistry.open(factory);

    const { record: adopted, created } = await openLink(registry);
    expect(created).toBe(true);
    expect(adopted.storageId).toBe(LEGACY_STORAGE_ID); // the old disk is the default workspace's
    expect(await leafBlockCount('img', LEGACY_STORAGE_ID, factory)).toBe(2);

    await registry.rename('img', 'default', 'mine');
    // This is where the unique index used to refuse the new default (the lockout).
    const { record: fresh } = await openLink(registry);
    expect(fresh.storageId).not.toBe(LEGACY_STORAGE_ID);
    expect(await leafBlockCount('img', fresh.storageId, factory)).toBe(0);
    expect(await registry.get('img', 'mine')).toMatchObject({ storageId: LEGACY_STORAGE_ID });
    expect(await leafBlockCount('img', LEGACY_STORAGE_ID, factory)).toBe(2);
    // A reload (the same link again) reopens that same new default.
    expect((await openLink(registry)).record.storageId).toBe(fresh.storageId);
    registry.close();
  });

  it('gives a new default a fresh id when no old disk is there, and never takes a listed one', async () => {
    const factory = new IDBFactory();
    const registry = await WorkspaceRegistry.open(factory);
    expect((await openLink(registry)).record.storageId).not.toBe(LEGACY_STORAGE_ID);
    // A leaf with storage id "default" that a workspace lists stays that workspace's.
    await registry.adopt('img2', LEGACY_STORAGE_ID, SETTINGS, 'kept');
    await writeLeaf('img2', LEGACY_STORAGE_ID, 1, factory);
    const { record } = await registry.openOrCreate('img2', 'default', SETTINGS);
    expect(record.storageId).not.toBe(LEGACY_STORAGE_ID);
    registry.close();
  });
});

/** The registry database exactly as version 1 of its schema creates it, holding `records`. */
async function writeVersion1Registry(factory: IDBFactory, records: readonly object[]): Promise<void> {
  const request = factory.open(REGISTRY_DATABASE_NAME, 1);
  request.onupgradeneeded = () => {
    const store = request.result.createObjectStore('workspaces', { keyPath: ['imageId', 'name'] });
    store.createIndex('byImage', 'imageId');
    store.createIndex('byStorage', ['imageId', 'storageId'], { unique: true });
  };
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = db.transaction('workspaces', 'readwrite');
  for (const record of records) tx.objectStore('workspaces').add(record);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

describe('a registry made before storage ids were decoupled', () => {
  it('keeps every workspace and leaf, and its renamed default no longer blocks a plain link', async () => {
    const factory = new IDBFactory();
    // The registry as the previous version left it (the same schema, version 1): default was
    // renamed to "mine" and kept storage id "default"; "a" has a random id; img2's default
    // still has storage id "default".
    const oldRecords = [
      { imageId: 'img', name: 'mine', storageId: LEGACY_STORAGE_ID, createdAt: 1, lastUsedAt: 3, settings: SETTINGS },
      { imageId: 'img', name: 'a', storageId: 'ws-5b0c3f0e-0000-4000-8000-000000000001', createdAt: 1, lastUsedAt: 2, settings: SETTINGS },
      { imageId: 'img2', name: 'default', storageId: LEGACY_STORAGE_ID, createdAt: 1, lastUsedAt: 1, settings: SETTINGS },
    ];
    await writeVersion1Registry(factory, oldRecords);
    await writeLeaf('img', LEGACY_STORAGE_ID, 4, factory);
    await writeLeaf('img', 'ws-5b0c3f0e-0000-4000-8000-000000000001', 1, factory);
    await writeLeaf('img2', LEGACY_STORAGE_ID, 2, factory);
    const leavesBefore = await databaseNames(factory);

    const registry = await WorkspaceRegistry.open(factory);
    expect((await registry.listAll()).map(({ imageId, name, storageId }) => ({ imageId, name, storageId }))).toEqual(
      expect.arrayContaining(oldRecords.map(({ imageId, name, storageId }) => ({ imageId, name, storageId }))),
    );
    expect((await takeLeafInventory(registry, 'img')).unlisted).toEqual([]);

    const { record: newDefault, created } = await registry.openOrCreate('img', 'default', SETTINGS);
    expect(created).toBe(true);
    expect(newDefault.storageId).toMatch(/^ws-/);
    expect((await registry.openOrCreate('img2', 'default', SETTINGS)).record.storageId).toBe(LEGACY_STORAGE_ID);

    expect(await databaseNames(factory)).toEqual(expect.arrayContaining(leavesBefore));
    expect(leavesBefore).toContain(leafDatabaseName('img', LEGACY_STORAGE_ID));
    expect(await leafBlockCount('img', LEGACY_STORAGE_ID, factory)).toBe(4);
    expect(await leafBlockCount('img', 'ws-5b0c3f0e-0000-4000-8000-000000000001', factory)).toBe(1);
    expect(await leafBlockCount('img2', LEGACY_STORAGE_ID, factory)).toBe(2);
    registry.close();
  });
});
