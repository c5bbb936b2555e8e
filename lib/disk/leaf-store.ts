/**
 * The storage contract of a leaf (a user's workspace): its metadata, its blocks of sector
 * data, and the sector map saying which sectors of each block are the leaf's.
 *
 * Two implementations keep each other honest (the absurd-sql pattern): `IdbLeafStore` for the
 * browser and `MemoryLeafStore`, a twin with the same semantics, for fast property tests.
 */
import type { SectorMap } from './sector-pages';

/**
 * Format 1: a leaf directly on its root. Format 2: a leaf on top of a chain of frozen layers
 * (`parentLayerId`); an older Leaflab must refuse it as "newer" rather than read it over the bare
 * root, which would show a mixture of disks. A leaf with no parent is still written as format 1.
 * This versions the metadata only; how IndexedDB lays the leaf out (the paged sector map) is
 * versioned by the database version, which an older Leaflab refuses as newer
 * (idb-leaf-schema.ts).
 */
export const LEAF_FORMAT_VERSION = 2;
export type LeafFormatVersion = 1 | 2;
export const SECTOR_SIZE_BYTES = 512;

/** The root image a leaf was made on. A leaf is only ever read over this exact root. */
export interface RootIdentity {
  id: string;
  sizeBytes: number;
  /** Lower-case hex SHA-256 of the whole raw root image. */
  sha256: string;
}

export interface LeafMeta {
  formatVersion: LeafFormatVersion;
  root: RootIdentity;
  /** The frozen layer this leaf lies on (format 2); absent for a leaf directly on the root. */
  parentLayerId?: string;
  sectorSizeBytes: typeof SECTOR_SIZE_BYTES;
  /** Leaf block size (a multiple of 512); fixed for the life of the leaf. */
  blockSizeBytes: number;
  /** When the leaf's first blocks were saved, in milliseconds since the epoch. Written once. */
  createdAt: number;
}

export interface LeafBlockRecord {
  blockIndex: number;
  /** The whole block, `blockSizeBytes` long; bytes of sectors not in `validSectors` are ignored. */
  data: Uint8Array;
  /** Bitmap of the block's sectors that hold leaf data (see sector-bitmap.ts). */
  validSectors: Uint8Array;
}

/**
 * Opening and reading never write: a workspace whose storage quota is full must still open,
 * so the user can download its disk. The metadata is written once, in the same transaction
 * as the leaf's first blocks (`writeBlocks(records, meta)`), so a leaf with blocks always has
 * its metadata and a leaf without blocks has nothing stored at all.
 */
export interface LeafStore {
  /** Human-readable name used in messages (the IndexedDB database name). */
  readonly name: string;
  open(): Promise<void>;
  /**
   * `undefined` for a leaf never written to. Throws LeafStoreError 'newer-format' for a leaf
   * a newer Leaflab made, 'corrupt' if unreadable.
   */
  readMeta(): Promise<LeafMeta | undefined>;
  /**
   * The whole sector map, loaded once at open: a paged dense bitmap (sector-pages.ts), one
   * bit per sector of the disk, read from a few hundred page records at most. No block data
   * is loaded; `readBlocks` fetches blocks on demand. `sectorsPerBlock` is the leaf's (from
   * its metadata), which the map needs to answer per block.
   */
  loadSectorMap(sectorsPerBlock: number): Promise<SectorMap>;
  /**
   * The data of the given blocks; blocks never written are absent from the result.
   * Ordering promise: the result reflects every `writeBlocks` that resolved before this call
   * and none that is called after it (a snapshot taken when called), so a reader can decide
   * which sectors to take from the store and which from newer in-memory writes up front.
   */
  readBlocks(blockIndices: readonly number[]): Promise<Map<number, Uint8Array>>;
  /**
   * Stores blocks with their sector-map entries, and `meta` when given, ATOMICALLY: after a
   * failure (quota, crash, abort) none of them is visible, after success all are. Records
   * replace whole blocks. Pass `meta` until a call with it has succeeded (the leaf's first).
   */
  writeBlocks(records: readonly LeafBlockRecord[], meta?: LeafMeta): Promise<void>;
  /** Deletes the leaf entirely (the "reset workspace" action). */
  destroy(): Promise<void>;
  close(): void;
  /** What this store instance wrote and read since it was made (for the bench and stats). */
  readonly counters: LeafStoreCounters;
}

export interface LeafStoreCounters {
  /**
   * Bytes of values this store put into storage: block data, sector-map pages and metadata.
   * Divided by the bytes the guest wrote, it is the write amplification.
   */
  bytesWritten: number;
  /** Write transactions committed. */
  commits: number;
  /** Blocks `readBlocks` answered from the in-memory cache of committed blocks, and from storage. */
  blockCacheHits: number;
  blockCacheMisses: number;
}

export function emptyLeafStoreCounters(): LeafStoreCounters {
  return { bytesWritten: 0, commits: 0, blockCacheHits: 0, blockCacheMisses: 0 };
}

/** About what the metadata record costs to store (its JSON form), for `bytesWritten`. */
export function metaBytes(meta: LeafMeta): number {
  return JSON.stringify(meta).length;
}

/**
 * - quota: the browser's storage is full; retrying cannot help until space is freed.
 * - aborted: the browser aborted a transaction for a transient reason; retrying may succeed.
 * - blocked: another tab holds or reset the leaf.
 * - unavailable: storage is missing, closed or failing.
 * - newer-format: a newer Leaflab made the leaf; this one must not touch it (never "corrupt").
 * - corrupt: the stored data cannot be right.
 */
export type LeafStoreErrorKind = 'quota' | 'aborted' | 'blocked' | 'unavailable' | 'newer-format' | 'corrupt';

export class LeafStoreError extends Error {
  constructor(
    readonly kind: LeafStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LeafStoreError';
  }
}

/** Checks metadata read back from storage (it may come from an older app or be damaged). */
export function parseLeafMeta(value: unknown, storeName: string): LeafMeta {
  const corrupt = (problem: string): never => {
    throw new LeafStoreError(
      'corrupt',
      `The workspace ${storeName} has unreadable metadata (${problem}). Reset the workspace to start over.`,
    );
  };
  if (typeof value !== 'object' || value === null) return corrupt('not an object');
  const meta = value as Partial<Record<keyof LeafMeta, unknown>>;
  const formatVersion = meta.formatVersion;
  if (typeof formatVersion === 'number' && Number.isSafeInteger(formatVersion) && formatVersion > LEAF_FORMAT_VERSION) {
    throw newerFormatError(storeName, `format ${formatVersion}`, `format ${LEAF_FORMAT_VERSION}`);
  }
  if (formatVersion !== 1 && formatVersion !== 2) {
    return corrupt(`format version ${String(formatVersion)}, this Leaflab reads versions 1 to ${LEAF_FORMAT_VERSION}`);
  }
  const parentLayerId = meta.parentLayerId;
  if (formatVersion === 2 ? typeof parentLayerId !== 'string' || parentLayerId === '' : parentLayerId !== undefined) {
    return corrupt(`format ${formatVersion} with parent layer ${String(parentLayerId)}`);
  }
  if (meta.sectorSizeBytes !== SECTOR_SIZE_BYTES) return corrupt(`sector size ${String(meta.sectorSizeBytes)}`);
  const blockSizeBytes = meta.blockSizeBytes;
  if (typeof blockSizeBytes !== 'number' || !isValidBlockSize(blockSizeBytes)) {
    return corrupt(`block size ${String(blockSizeBytes)}`);
  }
  const root = meta.root as Partial<Record<keyof RootIdentity, unknown>> | undefined;
  if (
    typeof root !== 'object' ||
    root === null ||
    typeof root.id !== 'string' ||
    typeof root.sha256 !== 'string' ||
    typeof root.sizeBytes !== 'number' ||
    !Number.isSafeInteger(root.sizeBytes)
  ) {
    return corrupt('missing root identity');
  }
  // Leaves saved by earlier versions also carry lastUsedAt: ignored (the workspace registry keeps it).
  if (typeof meta.createdAt !== 'number') return corrupt('missing creation time');
  return {
    formatVersion,
    root: { id: root.id, sizeBytes: root.sizeBytes, sha256: root.sha256 },
    ...(typeof parentLayerId === 'string' ? { parentLayerId } : {}),
    sectorSizeBytes: SECTOR_SIZE_BYTES,
    blockSizeBytes,
    createdAt: meta.createdAt,
  };
}

/**
 * A leaf that a newer Leaflab wrote: nothing is wrong with it, this page is just older. The
 * fix is to load the newer app, never to reset (that would discard the user's work).
 * `leafVersion` and `readableVersion` name what differs, e.g. "format 2" and "format 1".
 */
export function newerFormatError(storeName: string, leafVersion: string, readableVersion: string, cause?: unknown): LeafStoreError {
  return new LeafStoreError(
    'newer-format',
    `Workspace ${storeName} was made by a newer Leaflab (${leafVersion}; this one reads ${readableVersion}). ` +
      'Its changes are intact and this page leaves them untouched. Reload the page to get the newer Leaflab.',
    cause === undefined ? undefined : { cause },
  );
}

export function isValidBlockSize(blockSizeBytes: number): boolean {
  return Number.isSafeInteger(blockSizeBytes) && blockSizeBytes > 0 && blockSizeBytes % SECTOR_SIZE_BYTES === 0;
}

/** Validation shared by both stores, so the twin rejects exactly what IndexedDB would. */
export function assertBlockRecords(records: readonly LeafBlockRecord[]): void {
  const blockSizeBytes = records[0]?.data.length;
  for (const record of records) {
    if (!Number.isSafeInteger(record.blockIndex) || record.blockIndex < 0) {
      throw new RangeError(`writeBlocks: invalid block index ${record.blockIndex}`);
    }
    if (!(record.data instanceof Uint8Array) || !(record.validSectors instanceof Uint8Array)) {
      throw new TypeError(`writeBlocks: block ${record.blockIndex} needs Uint8Array data and validSectors`);
    }
    // Every record is a whole block, so the data's length is the leaf's block size: the store
    // lays the bitmaps into sector pages by it.
    if (record.data.length !== blockSizeBytes || !isValidBlockSize(record.data.length)) {
      throw new RangeError(`writeBlocks: block ${record.blockIndex} is ${record.data.length} bytes, not a whole block of the batch (${blockSizeBytes} bytes)`);
    }
  }
}

/** Sectors per block of a batch of records (all whole blocks of one size, see assertBlockRecords). */
export function recordSectorsPerBlock(records: readonly LeafBlockRecord[]): number {
  return (records[0]?.data.length ?? SECTOR_SIZE_BYTES) / SECTOR_SIZE_BYTES;
}
