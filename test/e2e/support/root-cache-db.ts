/** Reads the persistent root chunk cache's database (`leaflab-root-cache`) from a page, as the Storage panel sees it. */
import type { Page } from '@playwright/test';

/**
 * In the page: opens the database and reads one object store's record `key` (or, with no key,
 * all its keys); resolves undefined while the database has no such store yet.
 */
function readStore(page: Page, storeName: 'settings' | 'entries', key: string | undefined): Promise<unknown> {
  return page.evaluate(
    ({ storeName, key }) =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('leaflab-root-cache');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains(storeName)) {
            db.close();
            resolve(undefined);
            return;
          }
          const store = db.transaction(storeName).objectStore(storeName);
          const request = key === undefined ? store.getAllKeys() : store.get(key);
          request.onsuccess = () => {
            db.close();
            resolve(request.result);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    { storeName, key },
  );
}

/** Bytes in the cache (its `storedBytes` total). */
export async function rootCacheStoredBytes(page: Page): Promise<number> {
  const storedBytes = await readStore(page, 'settings', 'storedBytes');
  return typeof storedBytes === 'number' ? storedBytes : 0;
}

/** The chunk indexes the cache holds under store keys starting with `keyPrefix` (e.g. `layer:<id>/`). */
export async function cachedChunkIndexes(page: Page, keyPrefix: string): Promise<number[]> {
  const keys = ((await readStore(page, 'entries', undefined)) ?? []) as Array<[string, number]>;
  return keys.filter(([sourceKey]) => sourceKey.startsWith(keyPrefix)).map(([, chunkIndex]) => chunkIndex);
}
