/**
 * The seam between RangeSource and a persistent store of root chunks (issue #12, "a persistent
 * root cache"): chunks the guest had fetched are kept in the browser across reloads, so a warm
 * boot, a boot with the HTTP cache cleared, and a boot with the server stopped read no root byte
 * over the network.
 *
 * One `RootChunkCache` is one image's view of the store (chunk indexes of that image's chunk
 * table). The store is only a cache: RangeSource checks every chunk that comes out of it against
 * the chunk table (browser storage can be damaged), and a failing store is a miss, never an
 * error for the guest. Implementations: root-chunk-cache-idb.ts (the browser's),
 * root-chunk-cache-memory.ts (its twin for tests).
 */

export interface RootChunkCache {
  /**
   * Whether the store is believed to hold `chunkIndex` (from an index kept in memory, so it is
   * synchronous). Only a hint: another tab may have evicted it since, and `get` may then miss.
   */
  holds(chunkIndex: number): boolean;
  /** The stored bytes of those of `chunkIndexes` that are there (possibly damaged: check them). A failure is a miss. */
  get(chunkIndexes: readonly number[]): Promise<Map<number, Uint8Array>>;
  /**
   * Stores verified chunks (and makes them the most recently used), evicting the least recently
   * used chunks of any image to stay in the budget. Never rejects: a full quota or a failed
   * transaction stops the cache from growing and is reported in `state`.
   */
  put(chunks: ReadonlyArray<readonly [chunkIndex: number, bytes: Uint8Array]>): Promise<void>;
  /** Forgets chunks found damaged, so the next read fetches them again. Never rejects. */
  drop(chunkIndexes: readonly number[]): Promise<void>;
  /** Why the cache does not grow, if it stopped (a full quota, storage unavailable); undefined while it works. */
  readonly notice: string | undefined;
}

/** The whole store, across images: what the Storage panel shows and changes. */
export interface RootChunkStore {
  /** One image's chunks. `imageKey` names the image's content and chunk geometry (see rootChunkImageKey). */
  forImage(imageKey: string): Promise<RootChunkCache>;
  usage(): Promise<RootChunkStoreUsage>;
  /** Sets the byte budget (evicting the least recently used chunks at once if over it). */
  setBudget(budgetBytes: number): Promise<void>;
  /** Removes every cached root chunk. Workspaces' leaves live in other databases and are never touched. */
  clear(): Promise<void>;
}

export interface RootChunkStoreUsage {
  storedBytes: number;
  chunkCount: number;
  budgetBytes: number;
  /** Images with chunks in the store. */
  imageCount: number;
}

/**
 * Default budget: 512 MiB. Enough for the boot working set of many images (the default image
 * reads 9 MiB to its prompt, debian-lab some tens of MiB) and a good part of a course's work,
 * small next to the quota Chromium gives a site (a share of the free disk).
 */
export const DEFAULT_ROOT_CACHE_BUDGET_BYTES = 512 * 1024 * 1024;

/**
 * The store key of an image: its sha-256 with the chunk size, since a chunk index means nothing
 * without the chunk size. Two images with the same content share their chunks.
 */
export function rootChunkImageKey(image: { sha256: string; chunkSizeBytes: number }): string {
  return `${image.sha256}/${image.chunkSizeBytes}`;
}

/** What the cache says when the browser refuses to store more. */
export const QUOTA_NOTICE =
  "The browser's storage quota is full, so the root cache stopped growing (it still serves the chunks it has). Free space, or lower the root cache's budget under Storage.";

export function budgetProblem(budgetBytes: number): string | undefined {
  if (!Number.isSafeInteger(budgetBytes) || budgetBytes < 0) return `the budget must be a whole number of bytes, 0 or more (got ${budgetBytes})`;
  return undefined;
}
