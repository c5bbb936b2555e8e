/**
 * The leaf database's schema and its one migration.
 *
 *   version 1  meta, blocks (blockIndex → block), sectorMap (blockIndex → that block's bitmap):
 *              opening loaded one record per mapped block, 100,000 of them for a big leaf.
 *   version 2  meta, blocks, sectorPages (pageIndex → the bits of SECTORS_PER_PAGE sectors,
 *              sector-pages.ts): a few hundred records at most, only pages with a marked sector.
 *
 * The metadata record is unchanged (format 1 and 2 alike), so LEAF_FORMAT_VERSION stays: the
 * database version is what tells an older Leaflab (which opens version 1) that the leaf is
 * newer. Its open fails with VersionError, which it reports as "made by a newer Leaflab".
 *
 * Why migrate in the upgrade, not lazily: the upgrade's versionchange transaction is atomic
 * (the whole map moves, or nothing does and the database stays at version 1), runs once per
 * leaf, and leaves a single layout for every later read and write, instead of two layouts
 * read side by side forever. Blocks are NOT rewritten (their format and size did not change),
 * so the migration writes only the pages: less than the old map it deletes. It can still fail
 * (a full quota, a damaged old map): then the store opens the database at version 1 and reads
 * and writes it in the old layout (see IdbLeafStore.legacy), so a full quota never keeps a
 * user from reopening the workspace; the next open tries the migration again.
 */
import type { DBSchema } from 'idb';
import { isValidBlockSize, SECTOR_SIZE_BYTES, type LeafMeta } from './leaf-store';
import { bitmapByteLength } from './sector-bitmap';
import { pagesWithBlocks } from './sector-pages';

export const DB_VERSION = 2;
/** The version whose layout IdbLeafStore can still read and write when the migration fails. */
export const LEGACY_DB_VERSION = 1;
export const META_KEY = 'meta';

/** `leaflab-leaf:<imageId>:<storageId>`; lib/workspaces/leaf-databases.ts parses it back. */
export function leafDatabaseName(imageId: string, storageId: string): string {
  return `leaflab-leaf:${imageId}:${storageId}`;
}

export interface LeafDbSchema extends DBSchema {
  /** A single record under the key 'meta'. */
  meta: { key: 'meta'; value: LeafMeta };
  /** blockIndex → the whole block's bytes. */
  blocks: { key: number; value: Uint8Array };
  /** pageIndex → PAGE_BYTES of sector bits; absent when the page marks nothing. */
  sectorPages: { key: number; value: Uint8Array };
}

/** Version 1's layout, still read and written when its migration fails. */
export interface LegacyLeafDbSchema extends DBSchema {
  meta: { key: 'meta'; value: LeafMeta };
  blocks: { key: number; value: Uint8Array };
  /** blockIndex → bitmap of the block's valid sectors. */
  sectorMap: { key: number; value: Uint8Array };
}

/** The upgrade handler of version `DB_VERSION`: creates a new leaf's schema or migrates version 1. */
export function upgradeLeafSchema(db: IDBDatabase, transaction: IDBTransaction, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore('meta');
    db.createObjectStore('blocks');
    db.createObjectStore('sectorPages');
    return;
  }
  if (oldVersion === 1) migrateSectorMapToPages(db, transaction);
}

/** Version 1's schema, for the fallback open that finds no database at all (deleted meanwhile). */
export function createLegacyLeafSchema(db: IDBDatabase): void {
  db.createObjectStore('meta');
  db.createObjectStore('blocks');
  db.createObjectStore('sectorMap');
}

/**
 * Moves version 1's per-block sector map into pages, inside the upgrade transaction. A map it
 * cannot read (no block size, a damaged record) aborts the upgrade: the old layout is kept and
 * the fallback open reports the damage as it always did.
 */
function migrateSectorMapToPages(db: IDBDatabase, transaction: IDBTransaction): void {
  const pagesStore = db.createObjectStore('sectorPages');
  const legacy = transaction.objectStore('sectorMap');
  const metaRequest = transaction.objectStore('meta').get(META_KEY);
  const keysRequest = legacy.getAllKeys();
  const valuesRequest = legacy.getAll();
  valuesRequest.addEventListener('success', () => {
    const keys = keysRequest.result;
    const values: unknown[] = valuesRequest.result;
    const blockSizeBytes = (metaRequest.result as Partial<LeafMeta> | undefined)?.blockSizeBytes;
    if (keys.length > 0) {
      if (typeof blockSizeBytes !== 'number' || !isValidBlockSize(blockSizeBytes)) return transaction.abort();
      const sectorsPerBlock = blockSizeBytes / SECTOR_SIZE_BYTES;
      const blocks: Array<[number, Uint8Array]> = [];
      for (const [i, key] of keys.entries()) {
        const bitmap = values[i];
        const valid = typeof key === 'number' && Number.isSafeInteger(key) && key >= 0;
        if (!valid || !(bitmap instanceof Uint8Array) || bitmap.length !== bitmapByteLength(sectorsPerBlock)) return transaction.abort();
        blocks.push([key, bitmap]);
      }
      for (const [pageIndex, page] of pagesWithBlocks(sectorsPerBlock, blocks)) {
        if (page.some((byte) => byte !== 0)) pagesStore.put(page, pageIndex);
      }
    }
    db.deleteObjectStore('sectorMap');
  });
}
