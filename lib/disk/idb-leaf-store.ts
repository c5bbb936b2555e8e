/**
 * The leaf in IndexedDB, through idb with a typed schema. One database per workspace:
 * `leaflab-leaf:<imageId>:<workspace>`, so "reset workspace" is a single deleteDatabase and
 * two workspaces can never see each other's blocks.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import {
  assertBlockRecords,
  LeafStoreError,
  newerFormatError,
  parseLeafMeta,
  SECTOR_SIZE_BYTES,
  type LeafBlockRecord,
  type LeafMeta,
  type LeafStore,
} from './leaf-store';

interface LeafDbSchema extends DBSchema {
  /** A single record under the key 'meta'. */
  meta: { key: 'meta'; value: LeafMeta };
  /** blockIndex → the whole block's bytes. */
  blocks: { key: number; value: Uint8Array };
  /** blockIndex → bitmap of the block's valid sectors. */
  sectorMap: { key: number; value: Uint8Array };
}

const DB_VERSION = 1;
const META_KEY = 'meta';

function createLeafSchema(db: IDBDatabase): void {
  db.createObjectStore('meta');
  db.createObjectStore('blocks');
  db.createObjectStore('sectorMap');
}

/** `leaflab-leaf:<imageId>:<storageId>`; lib/workspaces/leaf-databases.ts parses it back. */
export function leafDatabaseName(imageId: string, storageId: string): string {
  return `leaflab-leaf:${imageId}:${storageId}`;
}

export interface IdbLeafStoreOptions {
  imageId: string;
  /** Names the leaf's database within the image (a workspace's fixed storage id, e.g. "default"). */
  storageId: string;
  /** The workspace's name as the user knows it, for messages. Default: the storage id. */
  workspaceName?: string;
  /** Injectable for tests (fake-indexeddb). Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory;
}

export class IdbLeafStore implements LeafStore {
  /** For messages: `"<workspace>" of image <id>`. */
  readonly name: string;
  readonly databaseName: string;
  private readonly factory: IDBFactory | undefined;
  private db: IDBPDatabase<LeafDbSchema> | undefined;
  /** Why the connection went away under us (another tab's reset, storage cleared). */
  private lost: LeafStoreError | undefined;

  constructor(options: IdbLeafStoreOptions) {
    this.databaseName = leafDatabaseName(options.imageId, options.storageId);
    this.name = `"${options.workspaceName ?? options.storageId}" of image ${options.imageId}`;
    this.factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  }

  async open(): Promise<void> {
    const factory = this.requireFactory();
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(this.databaseName, DB_VERSION);
    } catch (error) {
      throw toLeafStoreError(error, 'opening', this.name);
    }
    request.addEventListener('upgradeneeded', (event) => {
      const db = request.result;
      if (event.oldVersion < 1) createLeafSchema(db);
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
      this.db = await Promise.race([opened, blocked]);
    } catch (error) {
      // If we stopped waiting, the open may still succeed later; do not leak that connection.
      opened.then((db) => db.close(), () => undefined);
      if (isDomError(error, 'VersionError')) throw await this.newerDatabaseError(factory, error);
      throw toLeafStoreError(error, 'opening', this.name);
    }
    this.lost = undefined;
    const db = this.db;
    // Another tab wants to delete (reset) or upgrade this database: let go at once, or that
    // tab would wait forever; this tab's next operation explains what happened.
    db.addEventListener('versionchange', () => {
      db.close();
      if (this.db === db) this.db = undefined;
      this.lost = new LeafStoreError(
        'blocked',
        `Another tab reset or upgraded the workspace ${this.name}, so this tab let go of it. Reload to continue.`,
      );
    });
    db.addEventListener('close', () => {
      if (this.db === db) this.db = undefined;
      this.lost = new LeafStoreError(
        'unavailable',
        `The browser closed the workspace ${this.name} (site data cleared or storage failure). Reload to continue.`,
      );
    });
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

  async loadSectorMap(): Promise<Map<number, Uint8Array>> {
    const db = this.requireDb();
    // Keys and values from one readonly transaction, so they describe the same moment.
    const tx = db.transaction('sectorMap', 'readonly');
    let keys: number[];
    let bitmaps: unknown[];
    try {
      [keys, bitmaps] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    } catch (error) {
      throw toLeafStoreError(error, 'loading the sector map of', this.name);
    }
    const map = new Map<number, Uint8Array>();
    keys.forEach((blockIndex, i) => {
      const bitmap = bitmaps[i];
      if (!(bitmap instanceof Uint8Array)) {
        throw new LeafStoreError('corrupt', `The sector map of workspace ${this.name} is damaged at block ${blockIndex}. Reset the workspace.`);
      }
      map.set(blockIndex, bitmap);
    });
    return map;
  }

  async readBlocks(blockIndices: readonly number[]): Promise<Map<number, Uint8Array>> {
    const db = this.requireDb();
    // The transaction is created before the first await: IndexedDB orders it after every
    // earlier readwrite transaction and before every later one, which is the contract's
    // snapshot-at-call promise.
    const tx = db.transaction('blocks', 'readonly');
    const gets = blockIndices.map((blockIndex) => tx.store.get(blockIndex));
    let values: Array<Uint8Array | undefined>;
    try {
      [values] = await Promise.all([Promise.all(gets), tx.done]);
    } catch (error) {
      throw toLeafStoreError(error, 'reading blocks of', this.name);
    }
    const result = new Map<number, Uint8Array>();
    blockIndices.forEach((blockIndex, i) => {
      const value = values[i];
      if (value === undefined) return;
      if (!(value instanceof Uint8Array)) {
        throw new LeafStoreError('corrupt', `Block ${blockIndex} of workspace ${this.name} is damaged. Reset the workspace.`);
      }
      result.set(blockIndex, value);
    });
    return result;
  }

  async writeBlocks(records: readonly LeafBlockRecord[], meta?: LeafMeta): Promise<void> {
    assertBlockRecords(records);
    const db = this.requireDb();
    // Rationale: block data and sector-map entries (and the metadata, with a new leaf's first
    // blocks) go in ONE readwrite transaction, so IndexedDB commits all of them or none; a
    // quota abort, a crash or a killed tab leaves the previous state (design: "mark sector X
    // as the leaf's in the same transaction"). Nothing but this transaction's own requests is
    // awaited before tx.done, because awaiting anything else lets IndexedDB auto-commit the
    // transaction half-filled. 'strict' durability: the guest is told its write completed when
    // this resolves, so the data must be on disk, not in an OS cache, by then (Chrome
    // defaults to 'relaxed').
    const scope = meta ? (['blocks', 'sectorMap', 'meta'] as const) : (['blocks', 'sectorMap'] as const);
    const tx = db.transaction(scope, 'readwrite', { durability: 'strict' });
    const blocks = tx.objectStore('blocks');
    const sectorMap = tx.objectStore('sectorMap');
    const requests: Array<Promise<unknown>> = [];
    try {
      if (meta) requests.push(tx.objectStore('meta').put(meta, META_KEY));
      for (const { blockIndex, data, validSectors } of records) {
        // Exact-size copies: structured clone of a view would store its whole underlying buffer.
        requests.push(blocks.put(new Uint8Array(data), blockIndex));
        requests.push(sectorMap.put(new Uint8Array(validSectors), blockIndex));
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
    this.close();
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
}

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

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
}

function isDomError(error: unknown, name: string): boolean {
  return errorName(error) === name;
}

/**
 * Maps an IndexedDB failure to what the user can do about it. An AbortError whose message
 * names the quota is a quota error (some browsers abort a transaction that way when storage
 * is full): it must never be taken for a transient abort and retried.
 */
export function toLeafStoreError(error: unknown, action: string, storeName: string): LeafStoreError {
  if (error instanceof LeafStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  const name = errorName(error) === 'AbortError' && /quota/i.test(detail) ? 'QuotaExceededError' : errorName(error);
  switch (name) {
    case 'QuotaExceededError':
      return new LeafStoreError(
        'quota',
        `The browser's storage quota is exhausted, so ${action} workspace ${storeName} failed and the latest ` +
          'changes were not saved. Everything saved before is kept; "Download disk" copies the disk with the unsaved ' +
          'changes too. Free space (delete workspaces you no longer need in the Workspaces panel, or clear other ' +
          'sites\' data), then reload the page.',
        options,
      );
    case 'AbortError':
      return new LeafStoreError(
        'aborted',
        `The browser aborted ${action} workspace ${storeName} before it committed; nothing from it was saved (${detail}).`,
        options,
      );
    case 'VersionError':
      return newerFormatError(storeName, 'a newer database version', `database version ${DB_VERSION}`, error);
    case 'InvalidStateError':
      return new LeafStoreError(
        'unavailable',
        `The connection to workspace ${storeName} closed while ${action} it (another tab reset it, or site data was cleared). Reload to continue.`,
        options,
      );
    default:
      return new LeafStoreError('unavailable', `IndexedDB failed while ${action} workspace ${storeName}: ${detail}`, options);
  }
}
