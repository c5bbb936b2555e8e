/**
 * The persistent root chunk cache in the browser: IndexedDB database `leaflab-root-cache`, apart
 * from every workspace's `leaflab-leaf:*` database, so clearing or evicting it never touches a
 * leaf.
 *
 * Why IndexedDB, not the Cache API or OPFS: measured in Chromium on the shared 2-core machine by
 * test/browser/root-chunk-cache-backends.test.ts (64 KiB chunks in runs of 16, as one readahead
 * request brings them, on the main thread where RangeSource runs; 2026-12-01, noisy):
 *   IndexedDB, one transaction per run   write 0.38 ms/chunk, read 0.31 ms/chunk
 *   Cache API, one Response per chunk    write 1.06 ms/chunk, read 0.67 ms/chunk
 *   OPFS, a file per chunk (createWritable) write 1.67 ms/chunk, read 1.00 ms/chunk
 * IndexedDB is the fastest both ways, and it alone gives one transaction over the chunks, their
 * LRU records and the byte total, so several tabs filling the cache at once keep the total and
 * the budget right. The Cache API would key each chunk by a made-up URL with no atomic total;
 * OPFS has only the asynchronous `createWritable` on the main thread (a temporary copy per
 * write, then a rename).
 *
 * Layout (`imageKey` is the source key of root-chunk-cache.ts: a root image's or, since the
 * published layers' bodies joined the store, a layer's; the field keeps its first name so that
 * existing databases need no upgrade): `chunks` [imageKey, chunkIndex] → the chunk's bytes; `entries` the same keys → size and
 * last use (indexed by last use, for LRU eviction across images; kept apart from the bytes so
 * marking a chunk used rewrites a few bytes, not 64 KiB); `settings` the byte total and budget.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { cacheHasRoomFor, HEADROOM_NOTICE } from './storage-headroom';
import { budgetProblem, DEFAULT_ROOT_CACHE_BUDGET_BYTES, QUOTA_NOTICE, sourceCounts, type RootChunkCache, type RootChunkStore, type RootChunkStoreUsage } from './root-chunk-cache';

export const ROOT_CACHE_DATABASE = 'leaflab-root-cache';
const VERSION = 1;

interface EntryRecord {
  imageKey: string;
  chunkIndex: number;
  sizeBytes: number;
  lastUsedMs: number;
}

interface RootCacheSchema extends DBSchema {
  chunks: { key: [string, number]; value: Uint8Array };
  entries: { key: [string, number]; value: EntryRecord; indexes: { byLastUsed: number } };
  settings: { key: 'storedBytes' | 'budgetBytes'; value: number };
}

type Db = IDBPDatabase<RootCacheSchema>;


function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function isQuotaError(error: unknown): boolean {
  if (!(error instanceof Error || error instanceof DOMException)) return false;
  return error.name === 'QuotaExceededError' || (error.name === 'AbortError' && /quota/i.test(error.message));
}

function imageRange(imageKey: string): IDBKeyRange {
  return IDBKeyRange.bound([imageKey, 0], [imageKey, Number.MAX_SAFE_INTEGER]);
}

export class IdbRootChunkStore implements RootChunkStore {
  private dbPromise: Promise<Db> | undefined;
  /** Chunk indexes this tab believes the store holds, per image: the `holds` hints. */
  private readonly held = new Map<string, Set<number>>();
  /** Set once a write failed: the cache stops growing for the rest of this page's life. */
  private writeNotice: string | undefined;
  /** Set while the site's storage leaves no room for the cache (checked again at each write). */
  private headroomNotice: string | undefined;
  /** The last write queued (see put). */
  private writes: Promise<void> = Promise.resolve();

  /** `hasRoomFor`: whether the cache may grow by that many bytes now (default: storage-headroom.ts). */
  constructor(
    private readonly databaseName = ROOT_CACHE_DATABASE,
    private readonly hasRoomFor: (bytes: number) => Promise<boolean> = cacheHasRoomFor,
  ) {}

  private db(): Promise<Db> {
    this.dbPromise ??= openDB<RootCacheSchema>(this.databaseName, VERSION, {
      upgrade(db) {
        db.createObjectStore('chunks');
        db.createObjectStore('entries', { keyPath: ['imageKey', 'chunkIndex'] }).createIndex('byLastUsed', 'lastUsedMs');
        db.createObjectStore('settings');
      },
      blocking(_current, _next, event) {
        // A newer Leaflab in another tab wants to upgrade: let it (this tab's cache goes quiet).
        (event.target as IDBDatabase).close();
      },
    });
    this.dbPromise.catch(() => undefined);
    return this.dbPromise;
  }

  async forSource(imageKey: string): Promise<RootChunkCache> {
    let held = this.held.get(imageKey);
    let openNotice: string | undefined;
    if (!held) {
      held = new Set();
      try {
        const keys = await (await this.db()).getAllKeys('entries', imageRange(imageKey));
        for (const [, chunkIndex] of keys) held.add(chunkIndex);
      } catch (error) {
        openNotice = `The root cache is off: this browser's IndexedDB could not be opened (${describe(error)}).`;
      }
      this.held.set(imageKey, held);
    }
    const heldChunks = held;
    const currentNotice = () => openNotice ?? this.writeNotice ?? this.headroomNotice;
    return {
      holds: (chunkIndex) => heldChunks.has(chunkIndex),
      get: (chunkIndexes) => this.get(imageKey, chunkIndexes),
      put: (chunks) => this.put(imageKey, chunks),
      drop: (chunkIndexes) => this.drop(imageKey, chunkIndexes),
      get notice() {
        return currentNotice();
      },
    };
  }

  private async get(imageKey: string, chunkIndexes: readonly number[]): Promise<Map<number, Uint8Array>> {
    const found = new Map<number, Uint8Array>();
    try {
      const tx = (await this.db()).transaction('chunks', 'readonly');
      const values = await Promise.all(chunkIndexes.map((chunkIndex) => tx.store.get([imageKey, chunkIndex])));
      values.forEach((bytes, i) => {
        if (bytes instanceof Uint8Array) found.set(chunkIndexes[i]!, bytes);
        else this.held.get(imageKey)?.delete(chunkIndexes[i]!);
      });
    } catch {
      return found; // a store that cannot be read is a miss: the chunks come from the network
    }
    // Marking them used is a write; it waits for a later task, off the guest's read path.
    setTimeout(() => void this.touch(imageKey, [...found.keys()]), 0);
    return found;
  }

  private async touch(imageKey: string, chunkIndexes: number[]): Promise<void> {
    if (chunkIndexes.length === 0) return;
    try {
      const tx = (await this.db()).transaction('entries', 'readwrite');
      const nowMs = Date.now();
      await Promise.all(
        chunkIndexes.map(async (chunkIndex) => {
          const entry = await tx.store.get([imageKey, chunkIndex]);
          if (entry) await tx.store.put({ ...entry, lastUsedMs: nowMs });
        }),
      );
      await tx.done;
    } catch {
      // Only the LRU order suffers.
    }
  }

  /**
   * One write at a time: each asks the browser for room after the previous one committed, so
   * writes started together (the runs of a boot) cannot all pass the headroom check at once.
   */
  private put(imageKey: string, chunks: ReadonlyArray<readonly [number, Uint8Array]>): Promise<void> {
    const done = this.writes.then(() => this.putNow(imageKey, chunks));
    this.writes = done;
    return done;
  }

  private async putNow(imageKey: string, chunks: ReadonlyArray<readonly [number, Uint8Array]>): Promise<void> {
    if (this.writeNotice !== undefined || chunks.length === 0) return;
    const held = this.held.get(imageKey);
    const newBytes = chunks.reduce((sum, [chunkIndex, bytes]) => sum + (held?.has(chunkIndex) ? 0 : bytes.byteLength), 0);
    if (!(await this.hasRoomFor(newBytes))) {
      this.headroomNotice = HEADROOM_NOTICE;
      return;
    }
    this.headroomNotice = undefined;
    const added: number[] = [];
    let evicted: Array<[string, number]> = [];
    try {
      const tx = (await this.db()).transaction(['chunks', 'entries', 'settings'], 'readwrite');
      const settings = tx.objectStore('settings');
      const entries = tx.objectStore('entries');
      const budgetBytes = (await settings.get('budgetBytes')) ?? DEFAULT_ROOT_CACHE_BUDGET_BYTES;
      let storedBytes = (await settings.get('storedBytes')) ?? 0;
      const nowMs = Date.now();
      for (const [chunkIndex, bytes] of chunks) {
        const existing = await entries.get([imageKey, chunkIndex]);
        if (existing) {
          await entries.put({ ...existing, lastUsedMs: nowMs });
          continue;
        }
        if (bytes.byteLength > budgetBytes) continue;
        void tx.objectStore('chunks').put(bytes, [imageKey, chunkIndex]);
        void entries.put({ imageKey, chunkIndex, sizeBytes: bytes.byteLength, lastUsedMs: nowMs });
        storedBytes += bytes.byteLength;
        added.push(chunkIndex);
      }
      ({ storedBytes, evicted } = await evictOver(tx, storedBytes, budgetBytes));
      await settings.put(storedBytes, 'storedBytes');
      await tx.done;
    } catch (error) {
      this.writeNotice = isQuotaError(error) ? QUOTA_NOTICE : `The root cache stopped growing: a write failed (${describe(error)}).`;
      return;
    }
    for (const chunkIndex of added) held?.add(chunkIndex);
    this.forgetHeld(evicted);
  }

  private async drop(imageKey: string, chunkIndexes: readonly number[]): Promise<void> {
    this.forgetHeld(chunkIndexes.map((chunkIndex) => [imageKey, chunkIndex]));
    try {
      const tx = (await this.db()).transaction(['chunks', 'entries', 'settings'], 'readwrite');
      let freedBytes = 0;
      for (const chunkIndex of chunkIndexes) {
        const entry = await tx.objectStore('entries').get([imageKey, chunkIndex]);
        if (!entry) continue;
        freedBytes += entry.sizeBytes;
        void tx.objectStore('entries').delete([imageKey, chunkIndex]);
        void tx.objectStore('chunks').delete([imageKey, chunkIndex]);
      }
      const storedBytes = (await tx.objectStore('settings').get('storedBytes')) ?? 0;
      await tx.objectStore('settings').put(Math.max(0, storedBytes - freedBytes), 'storedBytes');
      await tx.done;
    } catch {
      // The damaged copies stay; the next read finds them damaged again and fetches the chunks.
    }
  }

  private forgetHeld(keys: ReadonlyArray<readonly [string, number]>): void {
    for (const [imageKey, chunkIndex] of keys) this.held.get(imageKey)?.delete(chunkIndex);
  }

  async usage(): Promise<RootChunkStoreUsage> {
    const db = await this.db();
    const tx = db.transaction(['entries', 'settings'], 'readonly');
    const [storedBytes, budgetBytes, keys] = await Promise.all([
      tx.objectStore('settings').get('storedBytes'),
      tx.objectStore('settings').get('budgetBytes'),
      tx.objectStore('entries').getAllKeys(),
    ]);
    return {
      storedBytes: storedBytes ?? 0,
      budgetBytes: budgetBytes ?? DEFAULT_ROOT_CACHE_BUDGET_BYTES,
      chunkCount: keys.length,
      ...sourceCounts(keys.map(([sourceKey]) => sourceKey)),
    };
  }

  async setBudget(budgetBytes: number): Promise<void> {
    const problem = budgetProblem(budgetBytes);
    if (problem) throw new RangeError(`Root cache: ${problem}.`);
    const tx = (await this.db()).transaction(['chunks', 'entries', 'settings'], 'readwrite');
    await tx.objectStore('settings').put(budgetBytes, 'budgetBytes');
    const { storedBytes, evicted } = await evictOver(tx, (await tx.objectStore('settings').get('storedBytes')) ?? 0, budgetBytes);
    await tx.objectStore('settings').put(storedBytes, 'storedBytes');
    await tx.done;
    this.forgetHeld(evicted);
    // A higher budget may leave room again.
    if (this.writeNotice === QUOTA_NOTICE) this.writeNotice = undefined;
  }

  async clear(): Promise<void> {
    const tx = (await this.db()).transaction(['chunks', 'entries', 'settings'], 'readwrite');
    await Promise.all([tx.objectStore('chunks').clear(), tx.objectStore('entries').clear(), tx.objectStore('settings').put(0, 'storedBytes')]);
    await tx.done;
    for (const held of this.held.values()) held.clear();
    this.writeNotice = undefined;
  }

  /** Closes the connection (tests, and before deleting the database). */
  async close(): Promise<void> {
    const db = await this.dbPromise?.catch(() => undefined);
    db?.close();
    this.dbPromise = undefined;
  }
}

type WriteTx = IDBPTransaction<RootCacheSchema, ['chunks', 'entries', 'settings'], 'readwrite'>;

/** Deletes the least recently used chunks, of any image, until `storedBytes` fits `budgetBytes`. */
async function evictOver(tx: WriteTx, storedBytes: number, budgetBytes: number): Promise<{ storedBytes: number; evicted: Array<[string, number]> }> {
  const evicted: Array<[string, number]> = [];
  let cursor = storedBytes > budgetBytes ? await tx.objectStore('entries').index('byLastUsed').openCursor() : null;
  while (cursor && storedBytes > budgetBytes) {
    const { imageKey, chunkIndex, sizeBytes } = cursor.value;
    void tx.objectStore('chunks').delete([imageKey, chunkIndex]);
    void cursor.delete();
    storedBytes -= sizeBytes;
    evicted.push([imageKey, chunkIndex]);
    cursor = await cursor.continue();
  }
  return { storedBytes, evicted };
}
