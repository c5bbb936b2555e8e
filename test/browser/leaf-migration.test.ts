/**
 * Leaves stored before the paged sector map (IndexedDB version 1, per-block map records,
 * 32 KiB blocks, format 1 and format 2 metadata) migrate on Chromium's real IndexedDB without
 * losing a byte, and an older Leaflab (which opens version 1) is told the leaf is newer.
 */
import { describe, expect, it } from 'vitest';
import { leafDatabaseName, IdbLeafStore, toLeafStoreError } from '@/lib/disk/idb-leaf-store';
import { databaseLayout } from '../support/legacy-leaf-fixture';
import { createLegacyLeaf, migrateAndCheck, MIGRATION_IMAGE_ID } from '../support/legacy-migration';

let counter = 0;

describe('migrating version 1 leaves on real IndexedDB', () => {
  it.each([
    ['format 1 (on the bare image)', undefined],
    ['format 2 (on a checkpoint)', 'cp-parent'],
  ])('%s: every sector survives, later writes too, and the old layout is gone', async (_title, parentLayerId) => {
    const run = { factory: indexedDB, storageId: `migrate-${Date.now()}-${(counter += 1)}`, parentLayerId };
    const databaseName = leafDatabaseName(MIGRATION_IMAGE_ID, run.storageId);
    try {
      await createLegacyLeaf(run);
      expect(await databaseLayout(indexedDB, databaseName)).toEqual({ version: 1, stores: ['blocks', 'meta', 'sectorMap'] });

      const { legacyAtFirstOpen, legacyAtReopen } = await migrateAndCheck(run);
      expect([legacyAtFirstOpen, legacyAtReopen]).toEqual([false, false]);
      expect(await databaseLayout(indexedDB, databaseName)).toEqual({ version: 2, stores: ['blocks', 'meta', 'sectorPages'] });

      // An older Leaflab opens version 1: the browser refuses with VersionError, which that
      // code (unchanged in this mapping) reports as "made by a newer Leaflab", never corrupt.
      const oldOpen = indexedDB.open(databaseName, 1);
      const error = await new Promise<unknown>((resolve) => {
        oldOpen.onerror = () => resolve(oldOpen.error);
        oldOpen.onsuccess = () => {
          oldOpen.result.close();
          resolve(undefined);
        };
      });
      expect((error as DOMException | undefined)?.name).toBe('VersionError');
      const mapped = toLeafStoreError(error, 'opening', 'w');
      expect(mapped.kind).toBe('newer-format');
      expect(mapped.message).toMatch(/made by a newer Leaflab/);
    } finally {
      await new IdbLeafStore({ imageId: MIGRATION_IMAGE_ID, storageId: run.storageId }).destroy();
    }
  });
});
