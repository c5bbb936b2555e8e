/**
 * Whether the chunks a RangeSource fetched ahead of the guest (its boot working set) were used:
 * a prefetched chunk is used once a guest read covers it. What stays unused is the prefetch's
 * waste, visible in leaflab.stats().
 */
export interface PrefetchCounters {
  /** Chunks requested by prefetchChunks (the boot set, and any small gaps bridged between its runs). */
  prefetchedChunks: number;
  /** Of those, the chunks a guest read has covered since. */
  prefetchedChunksUsed: number;
  /** Prefetched chunks no guest read has covered yet (fetched for nothing so far). */
  prefetchedChunksUnused: number;
}

export class PrefetchUsage {
  private readonly unused = new Set<number>();
  private prefetched = 0;
  private used = 0;

  /** Chunks [firstChunk, firstChunk + chunkCount) were requested ahead of the guest. */
  add(firstChunk: number, chunkCount: number): void {
    for (let chunk = firstChunk; chunk < firstChunk + chunkCount; chunk += 1) {
      if (this.unused.has(chunk)) continue;
      this.unused.add(chunk);
      this.prefetched += 1;
    }
  }

  /** A guest read covered chunks firstChunk..lastChunk. O(1) once every prefetched chunk is used. */
  noteRead(firstChunk: number, lastChunk: number): void {
    if (this.unused.size === 0) return;
    for (let chunk = firstChunk; chunk <= lastChunk; chunk += 1) {
      if (this.unused.delete(chunk)) this.used += 1;
    }
  }

  get counters(): PrefetchCounters {
    return { prefetchedChunks: this.prefetched, prefetchedChunksUsed: this.used, prefetchedChunksUnused: this.prefetched - this.used };
  }
}
