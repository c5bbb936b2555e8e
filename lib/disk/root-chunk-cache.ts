/**
 * The seam between RangeSource and a persistent store of root chunks (issue #12, "a persistent
 * root cache"): chunks the guest had fetched are kept in the browser across reloads, so a warm
 * boot, a boot with the HTTP cache cleared, and a boot with the server stopped read no root byte
 * over the network.
 *
 * One `RootChunkCache` is one source's view of the store (chunk indexes of that source's chunk
 * table). A source is a root image or, since published layers' bodies are read through the same
 * RangeSource seam, a published layer's body: both kinds share one store, one budget and one LRU
 * (see rootChunkImageKey and layerChunkKey for their keys). The store is only a cache: RangeSource checks every chunk that comes out of it against
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

/** The whole store, across images and layers: what the Storage panel shows and changes. */
export interface RootChunkStore {
  /**
   * One source's chunks. `sourceKey` names the source's content and chunk geometry: a root
   * image's rootChunkImageKey or a published layer's layerChunkKey.
   */
  forSource(sourceKey: string): Promise<RootChunkCache>;
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
  /** Root images with chunks in the store. */
  imageCount: number;
  /** Published layers with body chunks in the store. */
  layerCount: number;
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

const LAYER_KEY_PREFIX = 'layer:';

/**
 * The store key of a published layer's body: `layer:<id>/<chunk size>`. The id is the sha-256 of
 * the layer's descriptor, not of its body, so without the prefix a root image whose bytes were
 * exactly some descriptor's bytes would get the same key as that layer's body, and the two would
 * take each other's chunks (caught by the chunk-table check on the way out, but refetched and
 * evicted for nothing). A root key starts with a hex digit and a layer key with `layer:`, so the
 * two kinds can never name the same chunks, whatever the hashes.
 */
export function layerChunkKey(layer: { id: string; chunkSizeBytes: number }): string {
  return `${LAYER_KEY_PREFIX}${layer.id}/${layer.chunkSizeBytes}`;
}

/** Whether a store key names a published layer's body (otherwise it names a root image). */
export function isLayerChunkKey(sourceKey: string): boolean {
  return sourceKey.startsWith(LAYER_KEY_PREFIX);
}

/** The Storage panel's counts of what the store keys name. */
export function sourceCounts(sourceKeys: Iterable<string>): { imageCount: number; layerCount: number } {
  const distinct = new Set(sourceKeys);
  const layerCount = [...distinct].filter(isLayerChunkKey).length;
  return { imageCount: distinct.size - layerCount, layerCount };
}

/** What the cache says when the browser refuses to store more. */
export const QUOTA_NOTICE =
  "The browser's storage quota is full, so the root cache stopped growing (it still serves the chunks it has). Free space, or lower the root cache's budget under Storage.";

export function budgetProblem(budgetBytes: number): string | undefined {
  if (!Number.isSafeInteger(budgetBytes) || budgetBytes < 0) return `the budget must be a whole number of bytes, 0 or more (got ${budgetBytes})`;
  return undefined;
}
