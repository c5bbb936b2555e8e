/**
 * How RangeSource reads through the persistent root chunk cache (root-chunk-cache.ts): a run of
 * chunks is taken from the store when the store holds it, checked against the chunk table on
 * the way out, and fetched over the network otherwise; fetched chunks are written to the store
 * after the read is answered, so the store never slows the guest down nor fails a read.
 */
import type { RootChunkCache } from './root-chunk-cache';

export interface RootCacheCounters {
  /** Chunks served from the persistent root cache instead of the network, and their bytes. */
  rootCacheHits: number;
  rootCacheBytes: number;
  /** Chunks from the persistent cache that failed the chunk table: dropped and fetched again. */
  rootCacheCorruptChunks: number;
  /** Chunks handed to the persistent cache to keep. */
  rootCacheWrites: number;
  /** Why the persistent cache stopped growing or is off (e.g. a full quota); undefined while it works. */
  rootCacheNotice: string | undefined;
}

export function emptyRootCacheCounters(): RootCacheCounters {
  return { rootCacheHits: 0, rootCacheBytes: 0, rootCacheCorruptChunks: 0, rootCacheWrites: 0, rootCacheNotice: undefined };
}

export interface RootChunkCacheReaderOptions {
  cache: RootChunkCache;
  chunkSizeBytes: number;
  /** The indexes of the chunks of `bytes` (chunk `firstChunk` on) that do not match the chunk table. */
  mismatchedChunks(firstChunk: number, bytes: Uint8Array): Promise<number[]>;
}

/** Fetches chunks [firstChunk, firstChunk + chunkCount) over the network, verified. */
export type FetchRun = (firstChunk: number, chunkCount: number) => Promise<Uint8Array>;

export class RootChunkCacheReader {
  private readonly stats = emptyRootCacheCounters();

  constructor(private readonly options: RootChunkCacheReaderOptions) {}

  get counters(): RootCacheCounters {
    return { ...this.stats, rootCacheNotice: this.options.cache.notice };
  }

  /**
   * How many chunks from `firstChunk` (at most `chunkCount`) one run should take so that it is
   * either all in the store or all not. Readahead may stretch a run past the chunks the guest
   * asked for; if a run that starts in the store reached chunks it lacks, a reader of stored
   * chunks would wait on the network, and offline its read would fail for chunks it never needed.
   */
  runLength(firstChunk: number, chunkCount: number): number {
    const held = this.options.cache.holds(firstChunk);
    let length = 1;
    while (length < chunkCount && this.options.cache.holds(firstChunk + length) === held) length += 1;
    return length;
  }

  /** Chunks [firstChunk, firstChunk + chunkCount): from the store where it has good copies, the rest from `fetchRun`. */
  async load(firstChunk: number, chunkCount: number, runBytes: number, fetchRun: FetchRun): Promise<Uint8Array> {
    const { cache, chunkSizeBytes } = this.options;
    const indexes = Array.from({ length: chunkCount }, (_, i) => firstChunk + i).filter((chunkIndex) => cache.holds(chunkIndex));
    if (indexes.length === 0) return this.fetchAndKeep(firstChunk, chunkCount, fetchRun);

    const stored = await cache.get(indexes);
    const good = await this.verified(stored);
    const out = new Uint8Array(runBytes);
    const missing: number[] = [];
    for (let chunkIndex = firstChunk; chunkIndex < firstChunk + chunkCount; chunkIndex += 1) {
      const bytes = good.get(chunkIndex);
      if (bytes) out.set(bytes, (chunkIndex - firstChunk) * chunkSizeBytes);
      else missing.push(chunkIndex);
    }
    await Promise.all(
      contiguousRuns(missing).map(async ([runFirst, runCount]) => {
        out.set(await this.fetchAndKeep(runFirst, runCount, fetchRun), (runFirst - firstChunk) * chunkSizeBytes);
      }),
    );
    return out;
  }

  /** The stored chunks that match the chunk table; the others are dropped from the store and counted. */
  private async verified(stored: Map<number, Uint8Array>): Promise<Map<number, Uint8Array>> {
    const entries = [...stored];
    const verdicts = await Promise.all(
      entries.map(async ([chunkIndex, bytes]) => (await this.options.mismatchedChunks(chunkIndex, bytes)).length === 0),
    );
    const good = new Map<number, Uint8Array>();
    const damaged: number[] = [];
    entries.forEach(([chunkIndex, bytes], i) => {
      if (verdicts[i]) {
        good.set(chunkIndex, bytes);
        this.stats.rootCacheHits += 1;
        this.stats.rootCacheBytes += bytes.byteLength;
      } else {
        damaged.push(chunkIndex);
      }
    });
    if (damaged.length > 0) {
      this.stats.rootCacheCorruptChunks += damaged.length;
      void this.options.cache.drop(damaged);
    }
    return good;
  }

  private async fetchAndKeep(firstChunk: number, chunkCount: number, fetchRun: FetchRun): Promise<Uint8Array> {
    const bytes = await fetchRun(firstChunk, chunkCount);
    const { chunkSizeBytes } = this.options;
    // After the readers of this run got their bytes (they resume in microtasks; this is a task).
    setTimeout(() => {
      const chunks = Array.from({ length: chunkCount }, (_, i) => {
        // slice: a stored view would carry the whole run's buffer with it.
        return [firstChunk + i, bytes.slice(i * chunkSizeBytes, (i + 1) * chunkSizeBytes)] as const;
      });
      this.stats.rootCacheWrites += chunks.length;
      void this.options.cache.put(chunks);
    }, 0);
    return bytes;
  }
}

/** Sorted chunk indexes as `[firstChunk, chunkCount]` runs of consecutive indexes. */
export function contiguousRuns(sortedIndexes: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const chunkIndex of sortedIndexes) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === chunkIndex) last[1] += 1;
    else runs.push([chunkIndex, 1]);
  }
  return runs;
}
