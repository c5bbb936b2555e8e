/**
 * A migration that cannot commit (the quota is full) must not make the leaf unopenable:
 * "opening a workspace writes nothing, so a full quota never keeps a user from reopening it".
 * The store then reads and writes the old layout, and the next open migrates. The failure is
 * injected in fake-indexeddb (Chromium offers no way to fill the quota in a test on cue).
 */
import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore as FDBObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { leafDatabaseName } from '@/lib/disk/idb-leaf-store';
import { databaseLayout } from '../../support/legacy-leaf-fixture';
import { createLegacyLeaf, migrateAndCheck, MIGRATION_IMAGE_ID } from '../../support/legacy-migration';

afterEach(() => vi.restoreAllMocks());

describe('leaf migration', () => {
  it.each([undefined, 'cp-parent'])('migrates a version 1 leaf (parent %s) in fake-indexeddb too', async (parentLayerId) => {
    const run = { factory: new IDBFactory(), storageId: 'ws-1', parentLayerId };
    await createLegacyLeaf(run);
    expect(await migrateAndCheck(run)).toEqual({ legacyAtFirstOpen: false, legacyAtReopen: false });
    expect(await databaseLayout(run.factory, leafDatabaseName(MIGRATION_IMAGE_ID, run.storageId))).toEqual({ version: 2, stores: ['blocks', 'meta', 'sectorPages'] });
  });

  it('reads and writes the old layout when the migration hits the quota, and migrates at the next open', async () => {
    const run = { factory: new IDBFactory(), storageId: 'ws-full', parentLayerId: undefined };
    await createLegacyLeaf(run);
    const realPut = FDBObjectStore.prototype.put;
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'sectorPages') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, args);
    });
    const databaseName = leafDatabaseName(MIGRATION_IMAGE_ID, run.storageId);
    const result = await migrateAndCheck(run, () => {
      vi.restoreAllMocks();
    });
    expect(result).toEqual({ legacyAtFirstOpen: true, legacyAtReopen: false });
    expect(await databaseLayout(run.factory, databaseName)).toEqual({ version: 2, stores: ['blocks', 'meta', 'sectorPages'] });
  });
});
