/**
 * The chunk reader of the read-only root image: fixed-size chunks over HTTP Range, each
 * verified against the image's chunk table before it is cached or returned.
 *
 * Shape borrowed from sql.js-httpvfs's lazyFile: a typed config with documented defaults, a
 * chunk cache, readahead decided in one small place, counters kept on the reader. What it
 * adds: every reply is validated before a byte of it is used (range-fetch.ts), and every
 * chunk must hash to its entry in the manifest-named chunk table (chunk-digest-table.ts),
 * because a wrong byte here silently corrupts the guest's file system (design invariant 4).
 */
import { fetchChunkDigestTable } from './chunk-digest-fetch';
import type { ChunkDigestTable, ChunkTableLocation } from './chunk-digest-table';
import { withRetries, type RetryPolicy } from './fetch-retry';
import { LruByteCache } from './lru-cache';
import { EtagPin, emptyTrafficCounters, fetchValidatedRange, type TrafficCounters } from './range-fetch';
import { abortedError, RangeSourceError } from './range-source-error';
import { bootPrefetchLimits, planBootPrefetch, plannedChunkCount, warmPrefetchLimits, type PrefetchRequest } from './boot-prefetch';
import { PrefetchUsage, type PrefetchCounters } from './prefetch-usage';
import { ReadaheadWindow } from './readahead';
import type { RootChunkCache } from './root-chunk-cache';
import { emptyRootCacheCounters, RootChunkCacheReader, type RootCacheCounters } from './root-chunk-cache-reader';
import { assertByteRange, type RootLayer, type RootSource, type RootSourceCounters } from './root-source';
import { ZeroChunkRuns } from './zero-chunks';

export { RangeSourceError, type RangeSourceErrorKind } from './range-source-error';

export interface RangeSourceConfig {
  /** Where the raw image is served (ideally a digest-named, immutable URL). */
  url: string;
  /** Image size from the manifest; every Content-Range must name exactly this total. */
  sizeBytes: number;
  /**
   * The strong ETag the manifest promises, quotes included (the lab's own server sends
   * `"sha256-<hex>"`). Undefined for an image on another static host, whose validator the
   * manifest cannot know: then the first reply's ETag is pinned and any later change is an
   * error all the same.
   */
  etag?: string | undefined;
  /**
   * The image's chunk table (the sha-256 of every chunk) and the table's own sha-256 from the
   * manifest. It is fetched before the first chunk is handed out; no chunk is used unverified.
   */
  chunkDigests: ChunkTableLocation;
  /** Fetch and cache unit; must match the manifest's zero-chunk and chunk-table granularity. Default 64 KiB. */
  chunkSizeBytes?: number;
  /** Run-length list `[firstChunkIndex, chunkCount]` of all-zero chunks; never fetched. Default []. */
  zeroChunks?: ReadonlyArray<readonly [number, number]>;
  /**
   * Upper bound of the readahead window, in chunks (see ReadaheadWindow). Default 16 (1 MiB
   * with 64 KiB chunks): large enough to amortise request latency while booting, small enough
   * not to waste bandwidth on a misprediction.
   */
  maxReadaheadChunks?: number;
  /** Byte budget of the LRU chunk cache. Default 32 MiB. */
  cacheBudgetBytes?: number;
  /**
   * Retries after a network error, a 5xx or altered bytes (other 4xx and validation errors
   * are never retried). Default 4.
   */
  maxRetries?: number;
  /** First retry delay; doubles per retry (250, 500, 1000, 2000 ms by default). Default 250. */
  retryBaseDelayMs?: number;
  /** Injectable for tests and instrumentation. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** A persistent store of chunks, asked before the network (see root-chunk-cache.ts). Default none. */
  rootChunkCache?: RootChunkCache | undefined;
}

export const RANGE_SOURCE_DEFAULTS = {
  chunkSizeBytes: 64 * 1024,
  maxReadaheadChunks: 16,
  // 64 MiB: its 75 % prefetch share (boot-prefetch.ts) holds debian-lab's boot set (26 MiB with
  // bridged gaps) and its warm set (9.2 MiB); 32 MiB left the warm set no room at all.
  cacheBudgetBytes: 64 * 1024 * 1024,
  maxRetries: 4,
  retryBaseDelayMs: 250,
} as const;

/** Inspection reads fetch at most this much per request. */
const INSPECTION_RUN_BYTES = 4 * 1024 * 1024;

export interface RangeSourceCounters extends RootSourceCounters, PrefetchCounters, RootCacheCounters {
  /** Traffic of inspection reads (block map, export): not the guest's, so counted apart. */
  inspectionBytesFetched: number;
  inspectionRequests: number;
  /** Traffic of the chunk table. */
  chunkTableBytesFetched: number;
  chunkTableRequests: number;
  /** Fetched chunks that did not match the chunk table (each was refused and fetched again). */
  corruptChunks: number;
}

/** One HTTP request in flight for the guest, covering `chunkCount` chunks from `firstChunk`. */
interface InFlightRun {
  readonly firstChunk: number;
  readonly chunkCount: number;
  readonly controller: AbortController;
  /** Readers waiting on this run; when the last one gives up, the request is cancelled. */
  waiters: number;
  promise: Promise<Uint8Array>;
}

export class RangeSource implements RootSource {
  readonly url: string;
  readonly sizeBytes: number;
  readonly chunkSizeBytes: number;
  readonly chunkCount: number;
  readonly maxReadaheadChunks: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;

  private readonly fetchFn: typeof globalThis.fetch;
  private readonly etag: EtagPin;
  private readonly chunkDigests: ChunkTableLocation;
  /** The verified chunk table once fetched (or being fetched); reset after a failed fetch so a later read tries again. */
  private chunkTablePromise: Promise<ChunkDigestTable> | undefined;
  private readonly zeroChunks: ZeroChunkRuns;
  private readonly cache: LruByteCache<number>;
  private readonly readahead: ReadaheadWindow;
  private readonly inFlight = new Map<number, InFlightRun>();
  private readonly guestTraffic = emptyTrafficCounters();
  private readonly inspectionTraffic = emptyTrafficCounters();
  private readonly chunkTableTraffic = emptyTrafficCounters();
  private readonly stats = { cacheHits: 0, zeroChunkReads: 0, prefetches: 0, corruptChunks: 0 };
  private readonly prefetchUsage = new PrefetchUsage();
  private readonly persisted: RootChunkCacheReader | undefined;

  constructor(config: RangeSourceConfig) {
    this.url = config.url;
    this.sizeBytes = config.sizeBytes;
    this.etag = new EtagPin(config.etag);
    this.chunkSizeBytes = config.chunkSizeBytes ?? RANGE_SOURCE_DEFAULTS.chunkSizeBytes;
    this.maxReadaheadChunks = config.maxReadaheadChunks ?? RANGE_SOURCE_DEFAULTS.maxReadaheadChunks;
    this.maxRetries = config.maxRetries ?? RANGE_SOURCE_DEFAULTS.maxRetries;
    this.retryBaseDelayMs = config.retryBaseDelayMs ?? RANGE_SOURCE_DEFAULTS.retryBaseDelayMs;
    const fetchFn = config.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') throw new TypeError('RangeSource: no fetch function available');
    // Bound so that a browser's fetch is not called with `this` = RangeSource ("Illegal invocation").
    this.fetchFn = fetchFn.bind(globalThis);

    const positive = (name: string, value: number) => {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`RangeSource: ${name} must be a positive integer, got ${value}`);
      }
    };
    positive('sizeBytes', this.sizeBytes);
    positive('chunkSizeBytes', this.chunkSizeBytes);
    if (!Number.isSafeInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new RangeError(`RangeSource: maxRetries must be >= 0, got ${this.maxRetries}`);
    }
    if (!/^[0-9a-f]{64}$/.test(config.chunkDigests.sha256)) {
      throw new RangeError(`RangeSource: chunkDigests.sha256 must be 64 lower-case hex digits, got ${config.chunkDigests.sha256}`);
    }
    this.chunkDigests = config.chunkDigests;
    this.readahead = new ReadaheadWindow(this.maxReadaheadChunks);
    this.chunkCount = Math.ceil(this.sizeBytes / this.chunkSizeBytes);
    this.zeroChunks = new ZeroChunkRuns(config.zeroChunks ?? [], this.chunkCount);
    this.cache = new LruByteCache(config.cacheBudgetBytes ?? RANGE_SOURCE_DEFAULTS.cacheBudgetBytes);
    if (config.rootChunkCache) {
      const mismatchedChunks = async (first: number, bytes: Uint8Array) => (await this.chunkTable()).mismatchedChunks(first, bytes, this.chunkSizeBytes);
      this.persisted = new RootChunkCacheReader({ cache: config.rootChunkCache, chunkSizeBytes: this.chunkSizeBytes, mismatchedChunks });
    }
  }

  get counters(): RangeSourceCounters {
    return {
      ...this.guestTraffic,
      ...this.stats,
      ...(this.persisted?.counters ?? emptyRootCacheCounters()),
      chunksCached: this.cache.count,
      cachedBytes: this.cache.sizeBytes,
      inspectionBytesFetched: this.inspectionTraffic.bytesFetched,
      inspectionRequests: this.inspectionTraffic.requests,
      chunkTableBytesFetched: this.chunkTableTraffic.bytesFetched,
      chunkTableRequests: this.chunkTableTraffic.requests,
      ...this.prefetchUsage.counters,
    };
  }

  /**
   * Fetches the image's boot working set ahead of the guest (`runs` in first-read order; see
   * boot-prefetch.ts for how the requests are planned). Guest reads join these requests like
   * any other in-flight run. A planned request whose chunks are partly in the persistent root
   * cache is split where that changes (see RootChunkCacheReader.runLength), so a warm boot loads
   * its set from the cache and fetches only what the cache lacks. Once every one of those
   * requests has finished, fetches `warmRuns` (the image's warm set) the same way, one request
   * at a time. Returns the number of planned boot-set requests.
   */
  prefetchChunks(runs: ReadonlyArray<readonly [number, number]>, warmRuns?: ReadonlyArray<readonly [number, number]>): number {
    const limits = bootPrefetchLimits(this.chunkSizeBytes, this.cache.budgetBytes);
    const requests = planBootPrefetch(runs, this.chunkCount, (chunkIndex) => this.isMissing(chunkIndex), limits);
    const started: Array<Promise<unknown>> = [];
    for (const { firstChunk, chunkCount } of requests) {
      this.prefetchUsage.add(firstChunk, chunkCount);
      const endChunk = firstChunk + chunkCount;
      for (let chunkIndex = firstChunk; chunkIndex < endChunk; ) {
        const run = this.startRun(chunkIndex, endChunk - chunkIndex);
        started.push(run.promise);
        chunkIndex += run.chunkCount;
      }
    }
    if (warmRuns && warmRuns.length > 0) {
      const warmLimits = warmPrefetchLimits(limits, plannedChunkCount(requests));
      void Promise.allSettled(started).then(() => this.prefetchOneAtATime(planBootPrefetch(warmRuns, this.chunkCount, (chunkIndex) => this.isMissing(chunkIndex), warmLimits)));
    }
    return requests.length;
  }

  /** Issues each request after the previous one finished, for what is still missing then (the guest may have read some meanwhile). */
  private async prefetchOneAtATime(requests: readonly PrefetchRequest[]): Promise<void> {
    for (const { firstChunk, chunkCount } of requests) {
      const started: Array<Promise<unknown>> = [];
      for (let chunkIndex = firstChunk; chunkIndex < firstChunk + chunkCount; ) {
        let missingChunks = 0;
        while (chunkIndex + missingChunks < firstChunk + chunkCount && this.isMissing(chunkIndex + missingChunks)) missingChunks += 1;
        if (missingChunks === 0) {
          chunkIndex += 1;
          continue;
        }
        const run = this.startRun(chunkIndex, missingChunks);
        this.prefetchUsage.add(chunkIndex, run.chunkCount, 'warm');
        started.push(run.promise);
        chunkIndex += run.chunkCount;
      }
      await Promise.allSettled(started);
    }
  }

  layerOf(offsetBytes: number): RootLayer {
    const chunkIndex = Math.floor(offsetBytes / this.chunkSizeBytes);
    if (this.zeroChunks.has(chunkIndex)) return 'zero';
    return this.cache.has(chunkIndex) ? 'cached' : 'remote';
  }

  async read(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const { out, firstChunk, lastChunk } = this.beginRead('read', offsetBytes, lengthBytes, signal);
    if (lengthBytes === 0) return out;
    this.prefetchUsage.noteRead(firstChunk, lastChunk);
    const copy = (bytes: Uint8Array, bytesFirstChunk: number, fromChunk: number, toChunk: number) =>
      this.copyChunks(out, offsetBytes, bytes, bytesFirstChunk, fromChunk, toChunk);
    const sequential = this.readahead.startRead(firstChunk);

    const pending: Array<Promise<void>> = [];
    let windowChunks: number | undefined;
    for (let chunkIndex = firstChunk; chunkIndex <= lastChunk; ) {
      if (this.zeroChunks.has(chunkIndex)) {
        this.stats.zeroChunkReads += 1; // `out` starts zeroed
        chunkIndex += 1;
        continue;
      }
      const cached = this.cache.get(chunkIndex);
      if (cached) {
        this.stats.cacheHits += 1;
        copy(cached, chunkIndex, chunkIndex, chunkIndex);
        chunkIndex += 1;
        continue;
      }
      let run = this.inFlight.get(chunkIndex);
      if (!run) {
        let neededChunks = 1;
        while (chunkIndex + neededChunks <= lastChunk && this.isMissing(chunkIndex + neededChunks)) neededChunks += 1;
        // A read that continues a scan and misses grows the window; a random one fetches what it needs.
        windowChunks ??= sequential ? this.readahead.grow() : this.readahead.chunks;
        let runChunks = neededChunks;
        while (runChunks < windowChunks && this.isMissing(chunkIndex + runChunks)) runChunks += 1;
        run = this.startRun(chunkIndex, runChunks);
      }
      const runFirst = run.firstChunk;
      const upTo = Math.min(lastChunk, run.firstChunk + run.chunkCount - 1);
      const from = chunkIndex;
      pending.push(this.waitFor(run, signal).then((bytes) => copy(bytes, runFirst, from, upTo)));
      chunkIndex = upTo + 1;
    }
    this.readahead.endRead(lastChunk);
    this.prefetchAfter(lastChunk);
    await Promise.all(pending);
    return out;
  }

  readIfCached(offsetBytes: number, lengthBytes: number): Uint8Array | undefined {
    const { out, firstChunk, lastChunk } = this.beginRead('readIfCached', offsetBytes, lengthBytes);
    if (lengthBytes === 0) return out;
    this.prefetchUsage.noteRead(firstChunk, lastChunk);
    for (let chunkIndex = firstChunk; chunkIndex <= lastChunk; chunkIndex += 1) {
      if (!this.zeroChunks.has(chunkIndex) && !this.cache.has(chunkIndex)) return undefined;
    }
    for (let chunkIndex = firstChunk; chunkIndex <= lastChunk; chunkIndex += 1) {
      const cached = this.cache.get(chunkIndex);
      if (cached) {
        this.stats.cacheHits += 1;
        this.copyChunks(out, offsetBytes, cached, chunkIndex, chunkIndex, chunkIndex);
      } else {
        this.stats.zeroChunkReads += 1; // `out` starts zeroed
      }
    }
    this.readahead.startRead(firstChunk);
    this.readahead.endRead(lastChunk);
    this.prefetchAfter(lastChunk);
    return out;
  }

  /**
   * The same bytes for the block map or a download: from the cache when there (without
   * marking them used), otherwise fetched and verified like the guest's, but never cached, never
   * moving the readahead window and never counted as the guest's traffic.
   */
  async readForInspection(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const { out, firstChunk, lastChunk } = this.beginRead('readForInspection', offsetBytes, lengthBytes, signal);
    if (lengthBytes === 0) return out;
    const maxRunChunks = Math.max(1, Math.floor(INSPECTION_RUN_BYTES / this.chunkSizeBytes));
    const fetches: Array<Promise<void>> = [];
    const runSignal = signal ?? new AbortController().signal;
    for (let chunkIndex = firstChunk; chunkIndex <= lastChunk; ) {
      if (this.zeroChunks.has(chunkIndex)) {
        chunkIndex += 1;
        continue;
      }
      const cached = this.cache.peek(chunkIndex);
      if (cached) {
        this.copyChunks(out, offsetBytes, cached, chunkIndex, chunkIndex, chunkIndex);
        chunkIndex += 1;
        continue;
      }
      let runChunks = 1;
      while (runChunks < maxRunChunks && chunkIndex + runChunks <= lastChunk && this.isUncached(chunkIndex + runChunks)) runChunks += 1;
      const runFirst = chunkIndex;
      const runLast = chunkIndex + runChunks - 1;
      fetches.push(
        this.fetchVerifiedRun(runFirst, runChunks, runSignal, this.inspectionTraffic).then((bytes) =>
          this.copyChunks(out, offsetBytes, bytes, runFirst, runFirst, runLast),
        ),
      );
      chunkIndex = runLast + 1;
    }
    await Promise.all(fetches);
    return out;
  }

  /** Checks a read's range and signal; returns its zeroed output and the chunks it spans. */
  private beginRead(method: string, offsetBytes: number, lengthBytes: number, signal?: AbortSignal) {
    assertByteRange(`RangeSource.${method} of ${this.url}`, offsetBytes, lengthBytes, this.sizeBytes);
    if (signal?.aborted) throw abortedError(this.describeBytes(offsetBytes, offsetBytes + lengthBytes - 1));
    return {
      out: new Uint8Array(lengthBytes),
      firstChunk: Math.floor(offsetBytes / this.chunkSizeBytes),
      lastChunk: Math.floor((offsetBytes + lengthBytes - 1) / this.chunkSizeBytes),
    };
  }

  /**
   * Copies into `out` (which holds the bytes from `offsetBytes`) the part of chunks
   * [fromChunk, toChunk] it wants, out of `bytes`, which holds chunks from `bytesFirstChunk`.
   */
  private copyChunks(out: Uint8Array, offsetBytes: number, bytes: Uint8Array, bytesFirstChunk: number, fromChunk: number, toChunk: number): void {
    const bytesStart = bytesFirstChunk * this.chunkSizeBytes;
    const start = Math.max(offsetBytes, fromChunk * this.chunkSizeBytes);
    const end = Math.min(offsetBytes + out.length, (toChunk + 1) * this.chunkSizeBytes);
    out.set(bytes.subarray(start - bytesStart, end - bytesStart), start - offsetBytes);
  }

  /**
   * Asynchronous readahead: while a sequential scan runs (its window has grown past one chunk),
   * the next window is requested once the reader is half-way through the chunks ahead of it,
   * so the guest finds them in memory instead of waiting for a request; each such prefetch
   * doubles the window up to the cap. Random access (window 1) never prefetches.
   */
  private prefetchAfter(lastChunk: number): void {
    const window = this.readahead.chunks;
    if (window < 2) return;
    const horizon = Math.min(lastChunk + Math.ceil(window / 2), this.chunkCount - 1);
    let first = lastChunk + 1;
    while (first <= horizon && !this.isMissing(first)) first += 1;
    if (first > horizon) return;
    const grown = this.readahead.grow();
    let count = 1;
    while (count < grown && this.isMissing(first + count)) count += 1;
    this.stats.prefetches += 1;
    this.startRun(first, count);
  }

  /** Not in memory: neither all-zero nor cached. */
  private isUncached(chunkIndex: number): boolean {
    return chunkIndex < this.chunkCount && !this.zeroChunks.has(chunkIndex) && !this.cache.has(chunkIndex);
  }

  /** Neither in memory nor on its way for the guest. */
  private isMissing(chunkIndex: number): boolean {
    return this.isUncached(chunkIndex) && !this.inFlight.has(chunkIndex);
  }

  private startRun(firstChunk: number, wantedChunks: number): InFlightRun {
    const chunkCount = this.persisted?.runLength(firstChunk, wantedChunks) ?? wantedChunks;
    const controller = new AbortController();
    const run: InFlightRun = { firstChunk, chunkCount, controller, waiters: 0, promise: Promise.resolve(new Uint8Array()) };
    const fetchRun = (first: number, count: number) => this.fetchVerifiedRun(first, count, controller.signal, this.guestTraffic);
    const runBytes = Math.min(this.sizeBytes, (firstChunk + chunkCount) * this.chunkSizeBytes) - firstChunk * this.chunkSizeBytes;
    run.promise = (this.persisted ? this.persisted.load(firstChunk, chunkCount, runBytes, fetchRun) : fetchRun(firstChunk, chunkCount))
      .then((bytes) => {
        for (let i = 0; i < chunkCount; i += 1) {
          // slice, not subarray: a cached chunk must not pin the whole run's buffer, or the
          // byte budget would under-count.
          this.cache.set(firstChunk + i, bytes.slice(i * this.chunkSizeBytes, (i + 1) * this.chunkSizeBytes));
        }
        return bytes;
      })
      .finally(() => this.forgetRun(run));
    // Readahead-only runs may have no reader left when they fail; that is not an unhandled error.
    run.promise.catch(() => undefined);
    for (let i = 0; i < chunkCount; i += 1) this.inFlight.set(firstChunk + i, run);
    return run;
  }

  private forgetRun(run: InFlightRun): void {
    for (let i = 0; i < run.chunkCount; i += 1) {
      if (this.inFlight.get(run.firstChunk + i) === run) this.inFlight.delete(run.firstChunk + i);
    }
  }

  /**
   * Waits for a shared run on behalf of one reader. Several readers may share a run, so one
   * reader's abort only detaches that reader; the HTTP request is cancelled when no reader is
   * left (and the run is forgotten at once, so a later reader starts a fresh request).
   */
  private waitFor(run: InFlightRun, signal: AbortSignal | undefined): Promise<Uint8Array> {
    run.waiters += 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => {
        run.waiters -= 1;
        if (run.waiters === 0) {
          this.forgetRun(run);
          run.controller.abort();
        }
        reject(abortedError(this.describeChunks(run.firstChunk, run.chunkCount)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      run.promise.then(
        (bytes) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(bytes);
        },
        (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private get retryPolicy(): RetryPolicy {
    return { maxRetries: this.maxRetries, baseDelayMs: this.retryBaseDelayMs };
  }

  /**
   * Fetches chunks [firstChunk, firstChunk + chunkCount) and checks every one against the chunk
   * table; a network error, a 5xx or a chunk that does not match is retried with backoff (after
   * altered bytes, bypassing the browser's HTTP cache, which may hold them). The table is
   * fetched alongside the first run, so it costs no extra round trip.
   */
  private fetchVerifiedRun(firstChunk: number, chunkCount: number, signal: AbortSignal, traffic: TrafficCounters): Promise<Uint8Array> {
    const startByte = firstChunk * this.chunkSizeBytes;
    const endByte = Math.min(this.sizeBytes, (firstChunk + chunkCount) * this.chunkSizeBytes) - 1;
    const what = this.describeBytes(startByte, endByte);
    let bypassHttpCache = false;
    return withRetries(
      this.retryPolicy,
      signal,
      what,
      async () => {
        const tableReady = this.chunkTable();
        const bytes = await fetchValidatedRange({
          url: this.url,
          startByte,
          endByte,
          totalBytes: this.sizeBytes,
          etag: this.etag,
          signal,
          counters: traffic,
          fetchFn: this.fetchFn,
          bypassHttpCache,
        });
        const table = await untilAborted(tableReady, signal, what);
        const mismatched = await table.mismatchedChunks(firstChunk, bytes, this.chunkSizeBytes);
        if (mismatched.length > 0) {
          this.stats.corruptChunks += mismatched.length;
          throw this.corruptChunksError(mismatched);
        }
        return bytes;
      },
      (error) => {
        traffic.retries += 1;
        if (error.kind === 'corrupt-chunk') bypassHttpCache = true;
      },
    );
  }

  /** The verified chunk table: fetched once, shared by every run; fetched again after a failure. */
  private chunkTable(): Promise<ChunkDigestTable> {
    if (!this.chunkTablePromise) {
      const promise = fetchChunkDigestTable({
        ref: this.chunkDigests,
        geometry: { sizeBytes: this.sizeBytes, chunkSizeBytes: this.chunkSizeBytes },
        fetchFn: this.fetchFn,
        retry: this.retryPolicy,
        // Not any one reader's: the table serves every later read too.
        signal: new AbortController().signal,
        counters: this.chunkTableTraffic,
      });
      promise.catch(() => {
        if (this.chunkTablePromise === promise) this.chunkTablePromise = undefined;
      });
      this.chunkTablePromise = promise;
    }
    return this.chunkTablePromise;
  }

  private corruptChunksError(chunkIndexes: number[]): RangeSourceError {
    const first = chunkIndexes[0] ?? 0;
    const last = chunkIndexes[chunkIndexes.length - 1] ?? first;
    const which =
      chunkIndexes.length === 1
        ? `Chunk ${first} of ${this.describeChunks(first, 1)}`
        : `${chunkIndexes.length} chunks between ${first} and ${last} of ${this.describeChunks(first, last - first + 1)}`;
    return new RangeSourceError(
      'corrupt-chunk',
      `${which} did not match the sha-256 in the image's chunk table: the server or a proxy altered the image. ` +
        'None of those bytes were given to the machine.',
    );
  }

  private describeChunks(firstChunk: number, chunkCount: number): string {
    return this.describeBytes(firstChunk * this.chunkSizeBytes, Math.min(this.sizeBytes, (firstChunk + chunkCount) * this.chunkSizeBytes) - 1);
  }

  private describeBytes(startByte: number, endByte: number): string {
    return `${this.url} (bytes ${startByte}-${endByte})`;
  }
}

/** `promise`, or an abort error as soon as `signal` aborts (the promise itself carries on for others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
