/**
 * The read-only root image as the union device sees it. The HTTP range source implements it
 * in production; `MemoryRootSource` implements it for tests and for images already in memory.
 */

export interface RootSourceCounters {
  /** Bytes received from the network (0 for in-memory roots). */
  bytesFetched: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests repeated after a network error or a 5xx. */
  retries: number;
  /** Chunk reads answered from the chunk cache. */
  cacheHits: number;
  /** Chunks currently in the cache, and their bytes. */
  chunksCached: number;
  cachedBytes: number;
  /** Chunk reads answered with zeros because the manifest lists the chunk as all-zero. */
  zeroChunkReads: number;
  /** Readahead requests started before the guest asked for their chunks. */
  prefetches: number;
}

/** Where a root byte would come from if read now: cheap, synchronous, for the UI's disk map. */
export type RootLayer = 'zero' | 'cached' | 'remote';

export interface RootSource {
  readonly sizeBytes: number;
  /** Resolves with exactly `lengthBytes` bytes of the root at `offsetBytes` (a fresh array). */
  read(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * The same bytes at once, if every one of them is already in memory (cached or all-zero);
   * otherwise undefined and nothing is fetched for it. Lets the device answer v86 in the same
   * turn, as a disk in memory would (see UnionDevice.readIfReady).
   */
  readIfCached(offsetBytes: number, lengthBytes: number): Uint8Array | undefined;
  /**
   * The same bytes for inspection (the block map, a download): served from the cache when
   * there, otherwise fetched without entering the cache or moving the readahead window, so an
   * export of the whole image does not push the guest's working set out of the cache.
   */
  readForInspection(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array>;
  layerOf(offsetBytes: number): RootLayer;
  /**
   * `layerOf` answers the same for every byte of an aligned chunk of this size (the fetch and
   * cache unit), so range queries can ask once per chunk instead of once per sector.
   */
  readonly chunkSizeBytes: number;
  /** A snapshot of the counters. */
  readonly counters: RootSourceCounters;
}

export function emptyRootCounters(): RootSourceCounters {
  return {
    bytesFetched: 0,
    requests: 0,
    retries: 0,
    cacheHits: 0,
    chunksCached: 0,
    cachedBytes: 0,
    zeroChunkReads: 0,
    prefetches: 0,
  };
}

/** Checks a byte range against a device size; the message names the caller's numbers. */
export function assertByteRange(what: string, offsetBytes: number, lengthBytes: number, sizeBytes: number): void {
  if (
    !Number.isSafeInteger(offsetBytes) ||
    !Number.isSafeInteger(lengthBytes) ||
    offsetBytes < 0 ||
    lengthBytes < 0 ||
    offsetBytes + lengthBytes > sizeBytes
  ) {
    throw new RangeError(
      `${what}: range offset ${offsetBytes} length ${lengthBytes} is outside the ${sizeBytes}-byte disk`,
    );
  }
}

/** A root held in memory: every byte is "cached". Reads copy, so callers cannot alias it. */
export class MemoryRootSource implements RootSource {
  /** Every byte is "cached", so any chunk size is true; this one matches the range source's default. */
  readonly chunkSizeBytes = 64 * 1024;
  private readonly stats = emptyRootCounters();

  constructor(private readonly bytes: Uint8Array) {}

  get sizeBytes(): number {
    return this.bytes.byteLength;
  }

  get counters(): RootSourceCounters {
    return { ...this.stats };
  }

  async read(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    assertByteRange('MemoryRootSource.read', offsetBytes, lengthBytes, this.sizeBytes);
    signal?.throwIfAborted();
    this.stats.cacheHits += 1;
    return this.bytes.slice(offsetBytes, offsetBytes + lengthBytes);
  }

  async readForInspection(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    assertByteRange('MemoryRootSource.readForInspection', offsetBytes, lengthBytes, this.sizeBytes);
    signal?.throwIfAborted();
    return this.bytes.slice(offsetBytes, offsetBytes + lengthBytes);
  }

  readIfCached(offsetBytes: number, lengthBytes: number): Uint8Array {
    assertByteRange('MemoryRootSource.readIfCached', offsetBytes, lengthBytes, this.sizeBytes);
    this.stats.cacheHits += 1;
    return this.bytes.slice(offsetBytes, offsetBytes + lengthBytes);
  }

  layerOf(): RootLayer {
    return 'cached';
  }
}
