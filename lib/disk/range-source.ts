/**
 * Reads the read-only root image over HTTP Range requests, one fixed-size chunk at a time.
 *
 * Shape borrowed from sql.js-httpvfs's lazyFile: a typed config with documented defaults, a
 * chunk cache, readahead decided in one small method, counters kept on the reader. What it
 * adds: every reply is validated before a byte of it is used (design invariant 4), because a
 * wrong byte here silently corrupts the guest's file system.
 */
import { LruByteCache } from './lru-cache';
import { assertByteRange, type RootLayer, type RootSource, type RootSourceCounters } from './root-source';
import { ZeroChunkRuns } from './zero-chunks';

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
  /** Fetch and cache unit; must match the manifest's zero-chunk granularity. Default 64 KiB. */
  chunkSizeBytes?: number;
  /** Run-length list `[firstChunkIndex, chunkCount]` of all-zero chunks; never fetched. Default []. */
  zeroChunks?: ReadonlyArray<readonly [number, number]>;
  /**
   * Upper bound of the readahead window, in chunks. The window starts at 1 chunk, doubles on
   * every fetch that continues a sequential scan, and drops back to 1 on a random access.
   * Default 16 (1 MiB with 64 KiB chunks): large enough to amortise request latency while
   * booting, small enough not to waste bandwidth on a misprediction.
   */
  maxReadaheadChunks?: number;
  /** Byte budget of the LRU chunk cache. Default 32 MiB. */
  cacheBudgetBytes?: number;
  /** Retries after a network error or a 5xx (4xx and validation errors are never retried). Default 4. */
  maxRetries?: number;
  /** First retry delay; doubles per retry (250, 500, 1000, 2000 ms by default). Default 250. */
  retryBaseDelayMs?: number;
  /** Injectable for tests and instrumentation. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
}

export const RANGE_SOURCE_DEFAULTS = {
  chunkSizeBytes: 64 * 1024,
  maxReadaheadChunks: 16,
  cacheBudgetBytes: 32 * 1024 * 1024,
  maxRetries: 4,
  retryBaseDelayMs: 250,
} as const;

export type RangeSourceErrorKind =
  | 'network'
  | 'http-status'
  | 'not-partial'
  | 'wrong-range'
  | 'etag-changed'
  | 'short-body'
  | 'aborted';

export class RangeSourceError extends Error {
  constructor(
    readonly kind: RangeSourceErrorKind,
    message: string,
    /** HTTP status when a response arrived. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RangeSourceError';
  }

  /** Transient failures worth another attempt; everything else would fail the same way again. */
  get retryable(): boolean {
    return this.kind === 'network' || (this.kind === 'http-status' && (this.status ?? 0) >= 500);
  }
}

/** Headers a cross-origin page can only read if the server lists them. */
const EXPOSE_HINT =
  'If the image is on another origin, the server must send "Access-Control-Expose-Headers: Content-Range, ETag".';

/** One HTTP request in flight, covering `chunkCount` chunks from `firstChunk`. */
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
  /** The validator every reply must carry: promised by the manifest, or pinned from the first reply. */
  private expectedEtag: string | undefined;
  readonly chunkSizeBytes: number;
  readonly chunkCount: number;
  readonly maxReadaheadChunks: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;

  private readonly fetchFn: typeof globalThis.fetch;
  private readonly zeroChunks: ZeroChunkRuns;
  private readonly cache: LruByteCache<number>;
  private readonly inFlight = new Map<number, InFlightRun>();
  private readonly stats = {
    bytesFetched: 0,
    requests: 0,
    retries: 0,
    cacheHits: 0,
    zeroChunkReads: 0,
    prefetches: 0,
  };
  /** Readahead state: last chunk the previous read touched, and the current window. */
  private lastReadChunk: number | undefined;
  private windowChunks = 1;

  constructor(config: RangeSourceConfig) {
    this.url = config.url;
    this.sizeBytes = config.sizeBytes;
    this.expectedEtag = config.etag;
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
    positive('maxReadaheadChunks', this.maxReadaheadChunks);
    if (!Number.isSafeInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new RangeError(`RangeSource: maxRetries must be >= 0, got ${this.maxRetries}`);
    }
    if (this.expectedEtag !== undefined && !/^"[^"]+"$/.test(this.expectedEtag)) {
      throw new RangeError(
        `RangeSource: the manifest must promise a strong ETag like "sha256-…" (quotes included), got ${this.expectedEtag}`,
      );
    }
    this.chunkCount = Math.ceil(this.sizeBytes / this.chunkSizeBytes);
    this.zeroChunks = new ZeroChunkRuns(config.zeroChunks ?? [], this.chunkCount);
    this.cache = new LruByteCache(config.cacheBudgetBytes ?? RANGE_SOURCE_DEFAULTS.cacheBudgetBytes);
  }

  get counters(): RootSourceCounters {
    return { ...this.stats, chunksCached: this.cache.count, cachedBytes: this.cache.sizeBytes };
  }

  layerOf(offsetBytes: number): RootLayer {
    const chunkIndex = Math.floor(offsetBytes / this.chunkSizeBytes);
    if (this.zeroChunks.has(chunkIndex)) return 'zero';
    return this.cache.has(chunkIndex) ? 'cached' : 'remote';
  }

  /** Placeholder until inspection reads get their own path: same as `read` for now. */
  readForInspection(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.read(offsetBytes, lengthBytes, signal);
  }

  async read(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    assertByteRange(`RangeSource.read of ${this.url}`, offsetBytes, lengthBytes, this.sizeBytes);
    if (signal?.aborted) throw this.abortedError(offsetBytes, offsetBytes + lengthBytes - 1);
    const out = new Uint8Array(lengthBytes);
    if (lengthBytes === 0) return out;

    const firstChunk = Math.floor(offsetBytes / this.chunkSizeBytes);
    const lastChunk = Math.floor((offsetBytes + lengthBytes - 1) / this.chunkSizeBytes);
    const copy = (bytes: Uint8Array, bytesFirstChunk: number, fromChunk: number, toChunk: number) =>
      this.copyChunks(out, offsetBytes, bytes, bytesFirstChunk, fromChunk, toChunk);

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
        windowChunks ??= this.readaheadWindow(firstChunk);
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
    this.lastReadChunk = lastChunk;
    this.prefetchAfter(lastChunk);
    await Promise.all(pending);
    return out;
  }

  readIfCached(offsetBytes: number, lengthBytes: number): Uint8Array | undefined {
    assertByteRange(`RangeSource.readIfCached of ${this.url}`, offsetBytes, lengthBytes, this.sizeBytes);
    const out = new Uint8Array(lengthBytes);
    if (lengthBytes === 0) return out;
    const firstChunk = Math.floor(offsetBytes / this.chunkSizeBytes);
    const lastChunk = Math.floor((offsetBytes + lengthBytes - 1) / this.chunkSizeBytes);
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
    if (!this.continuesScan(firstChunk)) this.windowChunks = 1;
    this.lastReadChunk = lastChunk;
    this.prefetchAfter(lastChunk);
    return out;
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

  /** A read that starts where the previous one ended (same or next chunk) continues a sequential scan. */
  private continuesScan(readFirstChunk: number): boolean {
    const last = this.lastReadChunk;
    return last !== undefined && (readFirstChunk === last || readFirstChunk === last + 1);
  }

  /**
   * Asynchronous readahead: while a sequential scan runs (its window has grown past one chunk),
   * the next window is requested once the reader is half-way through the chunks ahead of it,
   * so the guest finds them in memory instead of waiting for a request; each such prefetch
   * doubles the window up to the cap. Random access (window 1) never prefetches.
   */
  private prefetchAfter(lastChunk: number): void {
    if (this.windowChunks < 2) return;
    const horizon = Math.min(lastChunk + Math.ceil(this.windowChunks / 2), this.chunkCount - 1);
    let first = lastChunk + 1;
    while (first <= horizon && !this.isMissing(first)) first += 1;
    if (first > horizon) return;
    this.windowChunks = Math.min(this.windowChunks * 2, this.maxReadaheadChunks);
    let count = 1;
    while (count < this.windowChunks && this.isMissing(first + count)) count += 1;
    this.stats.prefetches += 1;
    this.startRun(first, count);
  }

  /**
   * How many chunks to fetch for a read that starts at `readFirstChunk` and misses the cache.
   * A read that continues where the previous one ended (same or next chunk) is a sequential
   * scan: the window doubles up to `maxReadaheadChunks`. Anything else is random access: one
   * chunk, so random I/O never pays for bytes it did not ask for.
   */
  private readaheadWindow(readFirstChunk: number): number {
    this.windowChunks = this.continuesScan(readFirstChunk) ? Math.min(this.windowChunks * 2, this.maxReadaheadChunks) : 1;
    return this.windowChunks;
  }

  private isMissing(chunkIndex: number): boolean {
    return (
      chunkIndex < this.chunkCount &&
      !this.zeroChunks.has(chunkIndex) &&
      !this.cache.has(chunkIndex) &&
      !this.inFlight.has(chunkIndex)
    );
  }

  private startRun(firstChunk: number, chunkCount: number): InFlightRun {
    const startByte = firstChunk * this.chunkSizeBytes;
    const endByte = Math.min(this.sizeBytes, (firstChunk + chunkCount) * this.chunkSizeBytes) - 1;
    const controller = new AbortController();
    const run: InFlightRun = { firstChunk, chunkCount, controller, waiters: 0, promise: Promise.resolve(new Uint8Array()) };
    run.promise = this.fetchWithRetries(startByte, endByte, controller.signal)
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
        reject(this.abortedError(run.firstChunk * this.chunkSizeBytes, this.runEndByte(run)));
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

  private runEndByte(run: InFlightRun): number {
    return Math.min(this.sizeBytes, (run.firstChunk + run.chunkCount) * this.chunkSizeBytes) - 1;
  }

  private async fetchWithRetries(startByte: number, endByte: number, signal: AbortSignal): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.fetchOnce(startByte, endByte, signal);
      } catch (error) {
        if (!(error instanceof RangeSourceError) || !error.retryable || attempt >= this.maxRetries) {
          if (error instanceof RangeSourceError && error.retryable && attempt > 0) {
            error.message += ` (gave up after ${attempt} ${attempt === 1 ? 'retry' : 'retries'})`;
          }
          throw error;
        }
        this.stats.retries += 1;
        await this.sleep(this.retryBaseDelayMs * 2 ** attempt, signal, startByte, endByte);
      }
    }
  }

  private async fetchOnce(startByte: number, endByte: number, signal: AbortSignal): Promise<Uint8Array> {
    const asked = `bytes ${startByte}-${endByte}`;
    const where = `${this.url} (${asked})`;
    this.stats.requests += 1;
    let response: Response;
    try {
      response = await this.fetchFn(this.url, { headers: { Range: `bytes=${startByte}-${endByte}` }, signal });
    } catch (error) {
      if (signal.aborted) throw this.abortedError(startByte, endByte);
      throw new RangeSourceError(
        'network',
        `Could not reach ${where}: ${describeError(error)}. Check the network connection; the read will be retried.`,
        undefined,
        { cause: error },
      );
    }
    const reject = (kind: RangeSourceErrorKind, message: string): never => {
      // Never leave a body streaming that nobody will read.
      void response.body?.cancel().catch(() => undefined);
      throw new RangeSourceError(kind, message, response.status);
    };

    if (response.status === 200) {
      reject(
        'not-partial',
        `${this.url} answered 200 OK (the whole file) to a request for ${asked}. The server or a proxy ` +
          'ignored the Range header; Leaflab only uses 206 Partial Content replies, so nothing was read.',
      );
    }
    if (response.status !== 206) {
      reject(
        'http-status',
        `${where} failed with HTTP ${response.status} ${response.statusText}`.trimEnd() +
          (response.status >= 500 ? ' (a server error; retried with backoff).' : '. The image URL may be wrong or no longer served.'),
      );
    }
    const expectedRange = `bytes ${startByte}-${endByte}/${this.sizeBytes}`;
    const contentRange = response.headers.get('content-range');
    if (contentRange === null) {
      reject('wrong-range', `${where} answered 206 without a visible Content-Range header. ${EXPOSE_HINT}`);
    } else if (contentRange.trim() !== expectedRange) {
      reject(
        'wrong-range',
        `${this.url} answered with Content-Range "${contentRange}" but Leaflab asked for "${expectedRange}" ` +
          '(the total must be the manifest size). The server sent other bytes than requested; nothing was used.',
      );
    }
    const etag = response.headers.get('etag');
    if (etag === null) {
      reject('etag-changed', `${where} answered without a visible ETag, so the image cannot be verified. ${EXPOSE_HINT}`);
    } else if (this.expectedEtag === undefined) {
      // Another host's validator: only a strong one can tell that the bytes did not change.
      if (etag.startsWith('W/')) {
        reject('etag-changed', `${where} sent a weak ETag (${etag}); Leaflab needs a strong one to know the image never changes under a running disk.`);
      }
      this.expectedEtag = etag;
    } else if (etag !== this.expectedEtag) {
      reject(
        'etag-changed',
        `The image at ${this.url} changed: the server sends ETag ${etag}, but ${this.expectedEtag} was promised. ` +
          'Reload the page to get the current manifest; bytes of two different images are never mixed.',
      );
    }
    return this.readBody(response, endByte - startByte + 1, where, signal);
  }

  /** Reads the whole body, refusing it as soon as it is longer than asked, and if shorter. */
  private async readBody(response: Response, expectedBytes: number, where: string, signal: AbortSignal): Promise<Uint8Array> {
    const out = new Uint8Array(expectedBytes);
    let receivedBytes = 0;
    const tooLong = () =>
      new RangeSourceError(
        'short-body',
        `${where} sent more than the ${expectedBytes} bytes asked for; the reply was discarded.`,
        response.status,
      );
    try {
      if (!response.body) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        this.stats.bytesFetched += bytes.byteLength;
        if (bytes.byteLength > expectedBytes) throw tooLong();
        out.set(bytes);
        receivedBytes = bytes.byteLength;
      } else {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          this.stats.bytesFetched += value.byteLength;
          if (receivedBytes + value.byteLength > expectedBytes) {
            void reader.cancel().catch(() => undefined);
            throw tooLong();
          }
          out.set(value, receivedBytes);
          receivedBytes += value.byteLength;
        }
      }
    } catch (error) {
      if (error instanceof RangeSourceError) throw error;
      if (signal.aborted) throw this.abortedError(0, 0, where);
      throw new RangeSourceError(
        'network',
        `The connection to ${where} broke after ${receivedBytes} of ${expectedBytes} bytes: ${describeError(error)}.`,
        response.status,
        { cause: error },
      );
    }
    if (receivedBytes !== expectedBytes) {
      throw new RangeSourceError(
        'short-body',
        `${where} sent ${receivedBytes} bytes but the range is ${expectedBytes} bytes long; the reply was discarded.`,
        response.status,
      );
    }
    return out;
  }

  private sleep(ms: number, signal: AbortSignal, startByte: number, endByte: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.abortedError(startByte, endByte));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private abortedError(startByte: number, endByte: number, where?: string): RangeSourceError {
    return new RangeSourceError(
      'aborted',
      `Read of ${where ?? `${this.url} (bytes ${startByte}-${endByte})`} was cancelled (the emulator reset or stopped the I/O).`,
    );
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
