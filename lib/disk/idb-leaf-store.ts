/**
 * The leaf in IndexedDB, through idb with a typed schema. One database per workspace:
 * `leaflab-leaf:<imageId>:<workspace>`, so "reset workspace" is a single deleteDatabase and
 * two workspaces can never see each other's blocks.
 */
import { wrap, type IDBPDatabase, type IDBPObjectStore } from 'idb';
import { isDomError, toLeafStoreError } from './idb-leaf-errors';
import {
  DB_VERSION,
  LEGACY_DB_VERSION,
  META_KEY,
  createLegacyLeafSchema,
  leafDatabaseName,
  upgradeLeafSchema,
  type LeafDbSchema,
  type LegacyLeafDbSchema,
} from './idb-leaf-schema';
import {
  assertBlockRecords,
  emptyLeafStoreCounters,
  LeafStoreError,
  metaBytes,
  newerFormatError,
  parseLeafMeta,
  recordSectorsPerBlock,
  type LeafBlockRecord,
  type LeafMeta,
  type LeafStore,
} from './leaf-store';
import { LruByteCache } from './lru-cache';
import { damagedLeafError } from './sector-merge';
import { bitmapByteLength } from './sector-bitmap';
import { PAGE_BYTES, pagesOfBlocks, pagesWithBlocks, SectorMap } from './sector-pages';

/**
 * 1 MiB of committed blocks (256 blocks of 4 KiB) per open leaf store: what a guest re-reads
 * soon after writing it (metadata, journals) stays in memory without touching IndexedDB, and
 * a chain of checkpoints, each with its store, still holds only a few MiB.
 */
export const DEFAULT_BLOCK_CACHE_BYTES = 1024 * 1024;


export interface IdbLeafStoreOptions {
  imageId: string;
  /** Names the leaf's database within the image (a workspace's fixed storage id, e.g. "default"). */
  storageId: string;
  /** The workspace's name as the user knows it, for messages. Default: the storage id. */
  workspaceName?: string;
  /** Injectable for tests (fake-indexeddb). Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory;
  /** Budget of the in-memory LRU of committed blocks; 0 disables it. Default DEFAULT_BLOCK_CACHE_BYTES. */
  blockCacheBytes?: number;
}

export class IdbLeafStore implements LeafStore {
  /** For messages: `"<workspace>" of image <id>`. */
  readonly name: string;
  readonly databaseName: string;
  readonly counters = emptyLeafStoreCounters();
  private readonly factory: IDBFactory | undefined;
  private db: IDBPDatabase<LeafDbSchema> | undefined;
  /**
   * True when the database is still in version 1's layout because its migration failed
   * (idb-leaf-schema.ts): the sector map is read and written per block, as before.
   */
  private legacyLayout = false;
  /** Why the connection went away under us (another tab's reset, storage cleared). */
  private lost: LeafStoreError | undefined;
  /**
   * Committed blocks, as this store last wrote or read them. This store is the leaf's only
   * writer (one tab holds a workspace), so it stays right as long as every commit updates it
   * and a read result older than a commit is never put in (`commitCount`, see readBlocks).
   */
  private readonly blockCache: LruByteCache<number>;
  private commitCount = 0;

  constructor(options: IdbLeafStoreOptions) {
    this.databaseName = leafDatabaseName(options.imageId, options.storageId);
    this.name = `"${options.workspaceName ?? options.storageId}" of image ${options.imageId}`;
    this.factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    this.blockCache = new LruByteCache(options.blockCacheBytes ?? DEFAULT_BLOCK_CACHE_BYTES);
  }

  /** Whether the leaf is read in version 1's layout because migrating it failed (see idb-leaf-schema.ts). */
  get legacy(): boolean {
    return this.legacyLayout;
  }

  async open(): Promise<void> {
    const factory = this.requireFactory();
    this.blockCache.clear();
    let upgradedFrom: number | undefined;
    try {
      this.db = await this.openDatabase(factory, DB_VERSION, (db, transaction, oldVersion) => {
        upgradedFrom = oldVersion;
        upgradeLeafSchema(db, transaction, oldVersion);
      });
      this.legacyLayout = false;
    } catch (error) {
      const migrationFailed = upgradedFrom === LEGACY_DB_VERSION && !(error instanceof LeafStoreError && error.kind === 'blocked');
      if (!migrationFailed) throw error;
      // The old layout is intact (the upgrade was atomic): read it as it is.
      this.db = (await this.openDatabase(factory, LEGACY_DB_VERSION, (db, _transaction, oldVersion) => {
        if (oldVersion < 1) createLegacyLeafSchema(db);
      })) as unknown as IDBPDatabase<LeafDbSchema>;
      this.legacyLayout = true;
    }
    this.lost = undefined;
    const db = this.db;
    // Another tab wants to delete (reset) or upgrade this database: let go at once, or that
    // tab would wait forever; this tab's next operation explains what happened.
    db.addEventListener('versionchange', () => {
      db.close();
      if (this.db === db) this.db = undefined;
      this.blockCache.clear();
      this.lost = new LeafStoreError(
        'blocked',
        `Another tab reset or upgraded the workspace ${this.name}, so this tab let go of it. Reload to continue.`,
      );
    });
    db.addEventListener('close', () => {
      if (this.db === db) this.db = undefined;
      this.blockCache.clear();
      this.lost = new LeafStoreError(
        'unavailable',
        `The browser closed the workspace ${this.name} (site data cleared or storage failure). Reload to continue.`,
      );
    });
  }

  private async openDatabase(
    factory: IDBFactory,
    version: number,
    upgrade: (db: IDBDatabase, transaction: IDBTransaction, oldVersion: number) => void,
  ): Promise<IDBPDatabase<LeafDbSchema>> {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(this.databaseName, version);
    } catch (error) {
      throw toLeafStoreError(error, 'opening', this.name);
    }
    request.addEventListener('upgradeneeded', (event) => {
      if (request.transaction) upgrade(request.result, request.transaction, event.oldVersion);
    });
    const opened = wrap(request) as unknown as Promise<IDBPDatabase<LeafDbSchema>>;
    const blocked = new Promise<never>((_, reject) => {
      request.addEventListener('blocked', () =>
        reject(
          new LeafStoreError(
            'blocked',
            `The workspace ${this.name} is held open by another Leaflab tab running an older version. ` +
              'Close the other Leaflab tabs and reload.',
          ),
        ),
      );
    });
    blocked.catch(() => undefined);
    try {
      return await Promise.race([opened, blocked]);
    } catch (error) {
      // If we stopped waiting, the open may still succeed later; do not leak that connection.
      opened.then((db) => db.close(), () => undefined);
      if (isDomError(error, 'VersionError')) throw await this.newerDatabaseError(factory, error);
      throw toLeafStoreError(error, 'opening', this.name);
    }
  }

  async readMeta(): Promise<LeafMeta | undefined> {
    const db = this.requireDb();
    let value: unknown;
    try {
      value = await db.get('meta', META_KEY);
    } catch (error) {
      throw toLeafStoreError(error, 'reading the metadata of', this.name);
    }
    return value === undefined ? undefined : parseLeafMeta(value, this.name);
  }

  async loadSectorMap(sectorsPerBlock: number): Promise<SectorMap> {
    if (this.legacyLayout) return this.loadLegacySectorMap(sectorsPerBlock);
    const db = this.requireDb();
    // Keys and values from one readonly transaction, so they describe the same moment.
    const tx = db.transaction('sectorPages', 'readonly');
    let keys: number[];
    let pages: unknown[];
    try {
      [keys, pages] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    } catch (error) {
      throw toLeafStoreError(error, 'loading the sector map of', this.name);
    }
    const map = new Map<number, Uint8Array>();
    keys.forEach((pageIndex, i) => {
      const page = pages[i];
      if (!(page instanceof Uint8Array) || page.length !== PAGE_BYTES || !Number.isSafeInteger(pageIndex) || pageIndex < 0) {
        throw damagedLeafError(this.name, `its sector map page ${pageIndex} is damaged`);
      }
      map.set(pageIndex, page);
    });
    return new SectorMap(sectorsPerBlock, map);
  }

  /** Version 1's map, one record per block (only when its migration failed). */
  private async loadLegacySectorMap(sectorsPerBlock: number): Promise<SectorMap> {
    const db = this.requireLegacyDb();
    const tx = db.transaction('sectorMap', 'readonly');
    let keys: number[];
    let bitmaps: unknown[];
    try {
      [keys, bitmaps] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    } catch (error) {
      throw toLeafStoreError(error, 'loading the sector map of', this.name);
    }
    const map = new SectorMap(sectorsPerBlock);
    keys.forEach((blockIndex, i) => {
      const bitmap = bitmaps[i];
      if (!(bitmap instanceof Uint8Array) || bitmap.length !== bitmapByteLength(sectorsPerBlock) || !Number.isSafeInteger(blockIndex) || blockIndex < 0) {
        throw damagedLeafError(this.name, `the sector map entry of block ${blockIndex} is damaged`);
      }
      map.setBlock(blockIndex, bitmap);
    });
    return map;
  }

  /**
   * Cached blocks are answered at once (copies: callers may modify what they get); the rest
   * come from one readonly transaction. The cache and the transaction are both taken before
   * the first await, so the result is the snapshot at call time that the contract promises.
   */
  async readBlocks(blockIndices: readonly number[]): Promise<Map<number, Uint8Array>> {
    const db = this.requireDb();
    const result = new Map<number, Uint8Array>();
    const misses: number[] = [];
    for (const blockIndex of blockIndices) {
      const cached = this.blockCache.get(blockIndex);
      if (cached) result.set(blockIndex, cached.slice());
      else misses.push(blockIndex);
    }
    this.counters.blockCacheHits += blockIndices.length - misses.length;
    this.counters.blockCacheMisses += misses.length;
    if (misses.length === 0) return result;
    const commitsBefore = this.commitCount;
    // The transaction is created before the first await: IndexedDB orders it after every
    // earlier readwrite transaction and before every later one.
    const tx = db.transaction('blocks', 'readonly');
    const gets = misses.map((blockIndex) => tx.store.get(blockIndex));
    let values: Array<Uint8Array | undefined>;
    try {
      [values] = await Promise.all([Promise.all(gets), tx.done]);
    } catch (error) {
      throw toLeafStoreError(error, 'reading blocks of', this.name);
    }
    // A commit that completed while this read ran may have written these blocks after the
    // snapshot: caching the snapshot would then bring back old bytes.
    const cacheable = this.commitCount === commitsBefore;
    misses.forEach((blockIndex, i) => {
      const value = values[i];
      if (value === undefined) return;
      if (!(value instanceof Uint8Array)) {
        throw new LeafStoreError('corrupt', `Block ${blockIndex} of workspace ${this.name} is damaged. Reset the workspace.`);
      }
      if (cacheable) this.blockCache.set(blockIndex, value.slice());
      result.set(blockIndex, value);
    });
    return result;
  }

  async writeBlocks(records: readonly LeafBlockRecord[], meta?: LeafMeta): Promise<void> {
    assertBlockRecords(records);
    const db = this.requireDb();
    // Rationale: block data and sector-map pages (and the metadata, with a new leaf's first
    // blocks) go in ONE readwrite transaction, so IndexedDB commits all of them or none; a
    // quota abort, a crash or a killed tab leaves the previous state (design: "mark sector X
    // as the leaf's in the same transaction"). Nothing but this transaction's own requests is
    // awaited before tx.done, because awaiting anything else lets IndexedDB auto-commit the
    // transaction half-filled. 'strict' durability: the guest is told its write completed when
    // this resolves, so the data must be on disk, not in an OS cache, by then (Chrome
    // defaults to 'relaxed').
    const mapStore = this.legacyLayout ? 'sectorMap' : 'sectorPages';
    const scope = meta ? ['blocks', mapStore, 'meta'] : ['blocks', mapStore];
    const tx = (db as unknown as IDBPDatabase<LeafDbSchema & LegacyLeafDbSchema>).transaction(
      scope as Array<'blocks' | 'sectorPages' | 'sectorMap' | 'meta'>,
      'readwrite',
      { durability: 'strict' },
    );
    const blocks = tx.objectStore('blocks');
    const requests: Array<Promise<unknown>> = [];
    const stored: Array<[number, Uint8Array]> = [];
    let bytes = meta ? metaBytes(meta) : 0;
    try {
      if (meta) requests.push(tx.objectStore('meta').put(meta, META_KEY));
      for (const { blockIndex, data } of records) {
        // Exact-size copies: structured clone of a view would store its whole underlying buffer.
        const copy = new Uint8Array(data);
        stored.push([blockIndex, copy]);
        requests.push(blocks.put(copy, blockIndex));
        bytes += copy.length;
      }
      if (this.legacyLayout) {
        const sectorMap = tx.objectStore('sectorMap');
        for (const { blockIndex, validSectors } of records) {
          requests.push(sectorMap.put(new Uint8Array(validSectors), blockIndex));
          bytes += validSectors.length;
        }
      } else {
        // The touched pages are read and rewritten inside this transaction, so a page always
        // holds the bits of every block committed before it.
        const sectorsPerBlock = recordSectorsPerBlock(records);
        const pages = tx.objectStore('sectorPages');
        const pageIndices = [...pagesOfBlocks(sectorsPerBlock, records.map(({ blockIndex }) => blockIndex))];
        bytes += pageIndices.length * PAGE_BYTES;
        requests.push(
          Promise.all(pageIndices.map((pageIndex) => pages.get(pageIndex))).then((oldPages) => {
            try {
              return putSectorPages(pages, pageIndices, oldPages, sectorsPerBlock, records, this.name);
            } catch (error) {
              // Abort, or the blocks would commit without their map.
              tx.abort();
              throw error;
            }
          }),
        );
      }
    } catch (error) {
      // A put threw synchronously (bad key or value): abort so the earlier puts vanish too.
      for (const request of requests) request.catch(() => undefined);
      tx.abort();
      await tx.done.catch(() => undefined);
      throw toLeafStoreError(error, 'saving blocks to', this.name);
    }
    try {
      await Promise.all([...requests, tx.done]);
    } catch (error) {
      // A request's own error may arrive before the transaction's; report the transaction's
      // reason (e.g. QuotaExceededError), which is what the user can act on.
      await tx.done.catch(() => undefined);
      throw toLeafStoreError(tx.error ?? error, 'saving blocks to', this.name);
    }
    this.commitCount += 1;
    this.counters.commits += 1;
    this.counters.bytesWritten += bytes;
    for (const [blockIndex, copy] of stored) this.blockCache.set(blockIndex, copy);
  }

  /**
   * Deletes the leaf's database; resolves once it is gone. A connection that does not let go
   * (a tab of an older Leaflab, a frozen tab) makes the browser fire "blocked" and keep the
   * delete queued: it completes by itself when that connection closes, and nothing can open
   * the leaf before that. So blocked is not a failure: `onBlocked` is told (once) and the
   * promise resolves when the delete really completes.
   */
  async destroy(options: { onBlocked?: () => void } = {}): Promise<void> {
    const factory = this.requireFactory();
    this.close(); // also empties the block cache
    const request = factory.deleteDatabase(this.databaseName);
    request.addEventListener('blocked', () => options.onBlocked?.(), { once: true });
    try {
      await wrap(request);
    } catch (error) {
      throw toLeafStoreError(error, 'deleting', this.name);
    }
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.lost = undefined;
    this.blockCache.clear();
  }

  /**
   * The database has a newer schema version than this code knows: a newer Leaflab made it.
   * Its version comes from `databases()` where the browser has it, for the message.
   */
  private async newerDatabaseError(factory: IDBFactory, cause: unknown): Promise<LeafStoreError> {
    const listed = typeof factory.databases === 'function' ? await factory.databases().catch(() => []) : [];
    const version = listed.find((info) => info.name === this.databaseName)?.version;
    const leafVersion = version === undefined ? 'a newer database version' : `database version ${version}`;
    return newerFormatError(this.name, leafVersion, `database version ${DB_VERSION}`, cause);
  }

  private requireFactory(): IDBFactory {
    if (!this.factory) {
      throw new LeafStoreError(
        'unavailable',
        'This browser offers no IndexedDB (private browsing or disabled site data?), so a workspace cannot be saved.',
      );
    }
    return this.factory;
  }

  private requireDb(): IDBPDatabase<LeafDbSchema> {
    if (this.db) return this.db;
    throw this.lost ?? new LeafStoreError('unavailable', `The workspace ${this.name} is not open.`);
  }

  private requireLegacyDb(): IDBPDatabase<LegacyLeafDbSchema> {
    return this.requireDb() as unknown as IDBPDatabase<LegacyLeafDbSchema>;
  }
}

/**
 * Lays the records' bitmaps over the pages as stored (`oldPages`, read in the same
 * transaction) and puts the results; a page left with no marked sector is deleted.
 */
function putSectorPages(
  pages: IDBPObjectStore<LeafDbSchema & LegacyLeafDbSchema, ArrayLike<'blocks' | 'sectorPages' | 'sectorMap' | 'meta'>, 'sectorPages', 'readwrite'>,
  pageIndices: readonly number[],
  oldPages: ReadonlyArray<unknown>,
  sectorsPerBlock: number,
  records: readonly LeafBlockRecord[],
  storeName: string,
): Promise<unknown> {
  const base = new Map<number, Uint8Array>();
  pageIndices.forEach((pageIndex, i) => {
    const page = oldPages[i];
    if (page instanceof Uint8Array && page.length === PAGE_BYTES) base.set(pageIndex, page);
    else if (page !== undefined) throw damagedLeafError(storeName, `its sector map page ${pageIndex} is damaged`);
  });
  const bitmaps = records.map(({ blockIndex, validSectors }) => [blockIndex, validSectors] as const);
  const updated = pagesWithBlocks(sectorsPerBlock, bitmaps, base);
  return Promise.all([...updated].map(([pageIndex, page]) => (page.some((byte) => byte !== 0) ? pages.put(page, pageIndex) : pages.delete(pageIndex))));
}

export { measureLeafStore, type LeafUsage } from './idb-leaf-usage';
export { toLeafStoreError } from './idb-leaf-errors';
export { leafDatabaseName } from './idb-leaf-schema';
