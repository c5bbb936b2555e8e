/** How much a leaf database holds, measured without opening it as a disk (or creating it). */
import { wrap, type IDBPDatabase } from 'idb';
import { leafDatabaseName, META_KEY, type LeafDbSchema } from './idb-leaf-schema';
import type { IdbLeafStoreOptions } from './idb-leaf-store';
import { SECTOR_SIZE_BYTES } from './leaf-store';

export interface LeafUsage {
  /** Leaf blocks stored, and about how many bytes they and their sector map take. */
  blockCount: number;
  approximateBytes: number;
}

/**
 * What a leaf holds, without opening it as a disk: for the workspace list and the storage
 * panel. Browsers report usage per site, not per database, so this counts the leaf's own
 * bytes (blocks and sector map); IndexedDB's overhead is not included. A leaf that does not
 * exist holds nothing and is never created by measuring it, even when it is deleted between
 * the look at `databases()` and the open: a measurement racing a delete must not leave an
 * empty database behind that no workspace lists.
 */
export async function measureLeafStore(options: IdbLeafStoreOptions): Promise<LeafUsage> {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  const databaseName = leafDatabaseName(options.imageId, options.storageId);
  const empty: LeafUsage = { blockCount: 0, approximateBytes: 0 };
  if (!factory) return empty;
  if (typeof factory.databases === 'function') {
    const existing = await factory.databases();
    if (!existing.some((info) => info.name === databaseName)) return empty;
  }
  // No version: an existing leaf opens as it is (never upgraded by a look). Only a missing one
  // needs an upgrade, and aborting that upgrade leaves no database behind.
  const request = factory.open(databaseName);
  request.addEventListener('upgradeneeded', () => request.transaction?.abort());
  let db: IDBPDatabase<LeafDbSchema>;
  try {
    db = (await wrap(request)) as unknown as IDBPDatabase<LeafDbSchema>;
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'AbortError') return empty;
    throw error;
  }
  // A reset or delete in another tab must not wait for this short look.
  db.addEventListener('versionchange', () => db.close());
  try {
    if (!db.objectStoreNames.contains('meta') || !db.objectStoreNames.contains('blocks')) return empty;
    const tx = db.transaction(['meta', 'blocks'], 'readonly');
    const [meta, blockCount] = await Promise.all([tx.objectStore('meta').get(META_KEY), tx.objectStore('blocks').count(), tx.done]);
    const blockSizeBytes = meta?.blockSizeBytes ?? 0;
    const bitmapBytes = Math.ceil(blockSizeBytes / SECTOR_SIZE_BYTES / 8);
    return { blockCount, approximateBytes: blockCount * (blockSizeBytes + bitmapBytes) };
  } finally {
    db.close();
  }
}
