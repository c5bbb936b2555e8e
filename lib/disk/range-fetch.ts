/**
 * One HTTP Range request for bytes of the root image, validated before a byte of it is used
 * (design invariant 4): 206 and nothing else, exactly the Content-Range asked for with the
 * manifest's total, the image's strong ETag, and a body of exactly the range's length.
 * No state but the ETag pin; no cache, no retries (see fetch-retry.ts and range-source.ts).
 */
import { discardBody, readExactBody } from './http-body';
import { abortedError, describeError, RangeSourceError, type RangeSourceErrorKind } from './range-source-error';

/** Traffic counters one kind of read adds to. */
export interface TrafficCounters {
  bytesFetched: number;
  requests: number;
  retries: number;
}

export function emptyTrafficCounters(): TrafficCounters {
  return { bytesFetched: 0, requests: 0, retries: 0 };
}

/** Headers a cross-origin page can only read if the server lists them. */
const EXPOSE_HINT =
  'If the image is on another origin, the server must send "Access-Control-Expose-Headers: Content-Range, ETag".';

/**
 * The validator every reply must carry: the one the manifest promises, or, for a host whose
 * validator the manifest cannot know, the first strong one seen (any later change is an error).
 */
export class EtagPin {
  constructor(private expected: string | undefined) {
    if (expected !== undefined && !/^"[^"]+"$/.test(expected)) {
      throw new RangeError(`RangeSource: the manifest must promise a strong ETag like "sha256-…" (quotes included), got ${expected}`);
    }
  }

  /** Returns a problem description, or undefined when `etag` is acceptable (pinning it if first). */
  check(url: string, etag: string, where: string): string | undefined {
    if (this.expected === undefined) {
      // Another host's validator: only a strong one can tell that the bytes did not change.
      if (etag.startsWith('W/')) {
        return `${where} sent a weak ETag (${etag}); Leaflab needs a strong one to know the image never changes under a running disk.`;
      }
      this.expected = etag;
      return undefined;
    }
    return this.changeProblem(url, etag);
  }

  /** A problem description if a validator was pinned and `etag` is another one; never pins. */
  changeProblem(url: string, etag: string): string | undefined {
    if (this.expected === undefined || etag === this.expected) return undefined;
    return (
      `The image at ${url} changed: the server sends ETag ${etag}, but ${this.expected} was promised. ` +
      'Reload the page to get the current manifest; bytes of two different images are never mixed.'
    );
  }
}

export interface RangeRequest {
  url: string;
  /** First and last byte, inclusive, as in a Range header. */
  startByte: number;
  endByte: number;
  /** The image size the manifest promised: every Content-Range must name exactly this total. */
  totalBytes: number;
  etag: EtagPin;
  signal: AbortSignal;
  counters: TrafficCounters;
  fetchFn: typeof globalThis.fetch;
  /**
   * Skip the browser's HTTP cache (and refresh it): for a retry after altered bytes, which may
   * have come from a cache entry a proxy poisoned.
   */
  bypassHttpCache?: boolean;
}

export async function fetchValidatedRange(request: RangeRequest): Promise<Uint8Array> {
  const { url, startByte, endByte, totalBytes, signal, counters } = request;
  const asked = `bytes ${startByte}-${endByte}`;
  const where = `${url} (${asked})`;
  counters.requests += 1;
  let response: Response;
  try {
    response = await request.fetchFn(url, {
      headers: { Range: `bytes=${startByte}-${endByte}` },
      signal,
      // Root chunks are kept by the persistent root cache, not the HTTP cache, whose sparse range
      // entries made Chromium split one range fetch into several network requests (an nginx log
      // counted 12 requests for the 8 of a cold boot). 'reload' after altered bytes refreshes it.
      cache: request.bypassHttpCache ? ('reload' as const) : ('no-store' as const),
    });
  } catch (error) {
    if (signal.aborted) throw abortedError(where);
    throw new RangeSourceError(
      'network',
      `Could not reach ${where}: ${describeError(error)}. Check the network connection; the read will be retried.`,
      undefined,
      { cause: error },
    );
  }
  const reject = (kind: RangeSourceErrorKind, message: string): never => {
    discardBody(response);
    throw new RangeSourceError(kind, message, response.status);
  };

  if (response.status === 200) {
    // A cache revalidating with If-Range gets the whole file when the validator changed: then
    // the change is the news, not the 200.
    const etagOfWhole = response.headers.get('etag');
    const changed = etagOfWhole === null ? undefined : request.etag.changeProblem(url, etagOfWhole);
    if (changed !== undefined) reject('etag-changed', changed);
    reject(
      'not-partial',
      `${url} answered 200 OK (the whole file) to a request for ${asked}. The server or a proxy ` +
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
  const expectedRange = `bytes ${startByte}-${endByte}/${totalBytes}`;
  const contentRange = response.headers.get('content-range');
  if (contentRange === null) {
    reject('wrong-range', `${where} answered 206 without a visible Content-Range header. ${EXPOSE_HINT}`);
  } else if (contentRange.trim() !== expectedRange) {
    reject(
      'wrong-range',
      `${url} answered with Content-Range "${contentRange}" but Leaflab asked for "${expectedRange}" ` +
        '(the total must be the manifest size). The server sent other bytes than requested; nothing was used.',
    );
  }
  const etag = response.headers.get('etag');
  if (etag === null) {
    reject('etag-changed', `${where} answered without a visible ETag, so the image cannot be verified. ${EXPOSE_HINT}`);
  } else {
    const problem = request.etag.check(url, etag, where);
    if (problem !== undefined) reject('etag-changed', problem);
  }
  return readExactBody(response, endByte - startByte + 1, where, signal, (byteCount) => {
    counters.bytesFetched += byteCount;
  });
}
