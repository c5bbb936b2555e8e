/**
 * Whether the chunks a RangeSource fetched ahead of the guest (its boot working set, then its
 * warm set) were used: a prefetched chunk is used once a guest read covers it. What stays unused
 * is the prefetch's waste, visible in leaflab.stats().
 */
export interface PrefetchCounters {
  /** Chunks requested for the boot set (and any small gaps bridged between its runs). */
  prefetchedChunks: number;
  /** Of those, the chunks a guest read has covered since. */
  prefetchedChunksUsed: number;
  /** Boot-set chunks no guest read has covered yet (fetched for nothing so far). */
  prefetchedChunksUnused: number;
  /** Chunks requested for the warm set (what the image's first lesson commands read), after the boot set. */
  warmSetChunksFetched: number;
  /** Of those, the chunks a guest read has covered since. */
  warmSetChunksUsed: number;
}

/** Which set a prefetch request belongs to. */
export type PrefetchKind = 'boot' | 'warm';

export class PrefetchUsage {
  /** Each prefetched chunk no guest read has covered yet, and the set it came for. */
  private readonly unused = new Map<number, PrefetchKind>();
  private readonly fetched = { boot: 0, warm: 0 };
  private readonly used = { boot: 0, warm: 0 };

  /** Chunks [firstChunk, firstChunk + chunkCount) were requested ahead of the guest for `kind`. */
  add(firstChunk: number, chunkCount: number, kind: PrefetchKind = 'boot'): void {
    for (let chunk = firstChunk; chunk < firstChunk + chunkCount; chunk += 1) {
      if (this.unused.has(chunk)) continue;
      this.unused.set(chunk, kind);
      this.fetched[kind] += 1;
    }
  }

  /** A guest read covered chunks firstChunk..lastChunk. O(1) once every prefetched chunk is used. */
  noteRead(firstChunk: number, lastChunk: number): void {
    if (this.unused.size === 0) return;
    for (let chunk = firstChunk; chunk <= lastChunk; chunk += 1) {
      const kind = this.unused.get(chunk);
      if (kind === undefined) continue;
      this.unused.delete(chunk);
      this.used[kind] += 1;
    }
  }

  get counters(): PrefetchCounters {
    return {
      prefetchedChunks: this.fetched.boot,
      prefetchedChunksUsed: this.used.boot,
      prefetchedChunksUnused: this.fetched.boot - this.used.boot,
      warmSetChunksFetched: this.fetched.warm,
      warmSetChunksUsed: this.used.warm,
    };
  }
}
