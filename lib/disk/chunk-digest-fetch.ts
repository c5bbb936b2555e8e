/** Fetching the image's chunk table (a plain GET), retried like chunks, checked against the manifest. */
import { chunkTableSizeBytes } from '../images/chunk-table';
import { ChunkDigestTable, type ChunkTableLocation } from './chunk-digest-table';
import { withRetries, type RetryPolicy } from './fetch-retry';
import { discardBody, readExactBody } from './http-body';
import type { TrafficCounters } from './range-fetch';
import { abortedError, describeError, RangeSourceError } from './range-source-error';

export interface ChunkTableRequest {
  ref: ChunkTableLocation;
  /** The image's geometry, which fixes the table's length. */
  geometry: { sizeBytes: number; chunkSizeBytes: number };
  fetchFn: typeof globalThis.fetch;
  retry: RetryPolicy;
  signal: AbortSignal;
  counters: TrafficCounters;
}

export function fetchChunkDigestTable(request: ChunkTableRequest): Promise<ChunkDigestTable> {
  const { ref, signal, counters } = request;
  return withRetries(
    request.retry,
    signal,
    `the chunk table ${ref.url}`,
    (attemptIndex) => fetchOnce(request, attemptIndex > 0),
    () => {
      counters.retries += 1;
    },
  );
}

async function fetchOnce(request: ChunkTableRequest, bypassHttpCache: boolean): Promise<ChunkDigestTable> {
  const { ref, geometry, signal, counters } = request;
  const where = ref.url;
  counters.requests += 1;
  let response: Response;
  try {
    response = await request.fetchFn(ref.url, { signal, ...(bypassHttpCache ? { cache: 'reload' as const } : {}) });
  } catch (error) {
    if (signal.aborted) throw abortedError(`the chunk table ${where}`);
    throw new RangeSourceError('network', `Could not reach the chunk table ${where}: ${describeError(error)}.`, undefined, { cause: error });
  }
  if (response.status !== 200) {
    discardBody(response);
    throw new RangeSourceError(
      'http-status',
      `The chunk table ${where} failed with HTTP ${response.status} ${response.statusText}`.trimEnd() +
        (response.status >= 500
          ? ' (a server error; retried with backoff).'
          : '. Without it no chunk of the image can be verified, so none is used; the image may need to be rebuilt or republished.'),
      response.status,
    );
  }
  const expectedBytes = chunkTableSizeBytes(geometry);
  let bytes: Uint8Array;
  try {
    bytes = await readExactBody(response, expectedBytes, `the chunk table ${where}`, signal, (byteCount) => {
      counters.bytesFetched += byteCount;
    });
  } catch (error) {
    if (error instanceof RangeSourceError && error.kind === 'short-body') {
      throw new RangeSourceError(
        'bad-chunk-table',
        `${error.message} The image needs a ${expectedBytes}-byte chunk table; this one does not belong to it.`,
        response.status,
      );
    }
    throw error;
  }
  return ChunkDigestTable.fromBytes(bytes, geometry, ref.sha256, where);
}
