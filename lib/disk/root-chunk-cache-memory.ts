/**
 * The in-memory twin of IdbRootChunkStore (root-chunk-cache-idb.ts), for unit tests: the same
 * budget, LRU eviction across images and failure behaviour, plus what a test needs to cause
 * them (a quota, damaging a stored chunk).
 */
import {
  budgetProblem,
  DEFAULT_ROOT_CACHE_BUDGET_BYTES,
  QUOTA_NOTICE,
  sourceCounts,
  type RootChunkCache,
  type RootChunkStore,
  type RootChunkStoreUsage,
} from './root-chunk-cache';

export interface MemoryRootChunkStoreOptions {
  budgetBytes?: number;
  /** Bytes the "browser" lets the store hold; a write past it fails as a full quota would. Default unlimited. */
  quotaBytes?: number;
}

const keyOf = (imageKey: string, chunkIndex: number) => `${imageKey}#${chunkIndex}`;

export class MemoryRootChunkStore implements RootChunkStore {
  /** Insertion order is LRU order: the first entry is the least recently used. */
  private readonly chunks = new Map<string, { imageKey: string; chunkIndex: number; bytes: Uint8Array }>();
  private storedBytes = 0;
  private budgetBytes: number;
  private readonly quotaBytes: number;
  private writeNotice: string | undefined;
  /** Calls of get and put, for tests that check what reached the store. */
  readonly calls = { get: 0, put: 0 };

  constructor(options: MemoryRootChunkStoreOptions = {}) {
    this.budgetBytes = options.budgetBytes ?? DEFAULT_ROOT_CACHE_BUDGET_BYTES;
    this.quotaBytes = options.quotaBytes ?? Number.POSITIVE_INFINITY;
  }

  async forSource(imageKey: string): Promise<RootChunkCache> {
    const currentNotice = () => this.writeNotice;
    return {
      holds: (chunkIndex) => this.chunks.has(keyOf(imageKey, chunkIndex)),
      get: async (chunkIndexes) => {
        this.calls.get += 1;
        const found = new Map<number, Uint8Array>();
        for (const chunkIndex of chunkIndexes) {
          const entry = this.chunks.get(keyOf(imageKey, chunkIndex));
          if (!entry) continue;
          this.touch(entry);
          found.set(chunkIndex, entry.bytes.slice());
        }
        return found;
      },
      put: async (chunks) => this.put(imageKey, chunks),
      drop: async (chunkIndexes) => {
        for (const chunkIndex of chunkIndexes) this.delete(keyOf(imageKey, chunkIndex));
      },
      get notice() {
        return currentNotice();
      },
    };
  }

  private touch(entry: { imageKey: string; chunkIndex: number; bytes: Uint8Array }): void {
    const key = keyOf(entry.imageKey, entry.chunkIndex);
    this.chunks.delete(key);
    this.chunks.set(key, entry);
  }

  private put(imageKey: string, chunks: ReadonlyArray<readonly [number, Uint8Array]>): void {
    this.calls.put += 1;
    if (this.writeNotice !== undefined) return;
    const fresh = chunks.filter(([chunkIndex]) => {
      const existing = this.chunks.get(keyOf(imageKey, chunkIndex));
      if (existing) this.touch(existing);
      return !existing;
    });
    const addedBytes = fresh.reduce((sum, [, bytes]) => sum + bytes.byteLength, 0);
    if (this.storedBytes + addedBytes > this.quotaBytes) {
      this.writeNotice = QUOTA_NOTICE; // the whole batch fails, as an aborted transaction would
      return;
    }
    for (const [chunkIndex, bytes] of fresh) {
      if (bytes.byteLength > this.budgetBytes) continue;
      this.chunks.set(keyOf(imageKey, chunkIndex), { imageKey, chunkIndex, bytes: bytes.slice() });
      this.storedBytes += bytes.byteLength;
    }
    this.evictOver();
  }

  private evictOver(): void {
    for (const key of this.chunks.keys()) {
      if (this.storedBytes <= this.budgetBytes) break;
      this.delete(key);
    }
  }

  private delete(key: string): void {
    const entry = this.chunks.get(key);
    if (!entry) return;
    this.chunks.delete(key);
    this.storedBytes -= entry.bytes.byteLength;
  }

  /** Flips a bit of a stored chunk, as damaged storage would. */
  damage(imageKey: string, chunkIndex: number): void {
    const entry = this.chunks.get(keyOf(imageKey, chunkIndex));
    if (!entry) throw new Error(`no stored chunk ${chunkIndex} of ${imageKey} to damage`);
    entry.bytes[0] = entry.bytes[0]! ^ 0x01;
  }

  async usage(): Promise<RootChunkStoreUsage> {
    const counts = sourceCounts([...this.chunks.values()].map((entry) => entry.imageKey));
    return { storedBytes: this.storedBytes, chunkCount: this.chunks.size, budgetBytes: this.budgetBytes, ...counts };
  }

  async setBudget(budgetBytes: number): Promise<void> {
    const problem = budgetProblem(budgetBytes);
    if (problem) throw new RangeError(`Root cache: ${problem}.`);
    this.budgetBytes = budgetBytes;
    this.evictOver();
  }

  async clear(): Promise<void> {
    this.chunks.clear();
    this.storedBytes = 0;
    this.writeNotice = undefined;
  }
}
