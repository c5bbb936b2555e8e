/**
 * Plans how a lab fetches its image's boot working set (lib/images/boot-set.ts) before the guest
 * asks for it: which HTTP Range requests, in which order.
 *
 * The choice, and why:
 * - Requests follow the guest's first-read order and grow: the first covers at most
 *   `firstRequestChunks` (the MBR and boot loader arrive after one round trip), each next one may
 *   be twice as large, up to `maxRequestChunks`. All are started at once, in that order (the
 *   browser queues past its per-host connection limit in issue order); small early requests
 *   finish first, so data arrives roughly in the order the guest needs it.
 * - Every request is registered with RangeSource's in-flight runs, so a guest read of a chunk on
 *   its way joins that request instead of fetching it twice, and readahead never duplicates it.
 *   A read waits on a large request only for chunks the guest needs late in the boot, by which
 *   time the request has long arrived; the early, urgent chunks sit in the small first requests.
 * - Chunks the guest will not read are not fetched, except small gaps between wanted chunks
 *   (at most `maxBridgedGapChunks` each, `maxBridgedFraction` of the set in all) when that saves
 *   a request. Chunks already cached, in flight or all-zero are left out.
 * - At most `maxChunks` are planned: the chunk cache must hold the whole set until the guest
 *   reads it, or prefetched chunks would be evicted unused.
 *
 * The warm set (what the image's first lesson commands read besides the boot, see
 * image/tools/record-boot-set.ts) is planned the same way once every boot-set request has
 * finished, so it never competes with the boot: with `warmPrefetchLimits`, all requests of one
 * middling size, and only what the cache share leaves after the boot set. RangeSource issues
 * them one at a time, so a guest read never queues behind more than one of them for a
 * connection or for bandwidth, and one that joins a warm request waits little.
 *
 * Plain TypeScript with no DOM or Node imports; RangeSource.prefetchChunks runs the plan.
 */

export interface BootPrefetchLimits {
  firstRequestChunks: number;
  maxRequestChunks: number;
  maxBridgedGapChunks: number;
  maxBridgedFraction: number;
  maxChunks: number;
}

/** With 64 KiB chunks: a 256 KiB first request, growing to 8 MiB; gaps of up to 256 KiB, 10 % in all. */
export const BOOT_PREFETCH_DEFAULTS = {
  firstRequestChunks: 4,
  maxRequestChunks: 128,
  maxBridgedGapChunks: 4,
  maxBridgedFraction: 0.1,
} as const;

/** The share of the chunk cache a boot set may fill, leaving room for what the guest reads besides it. */
export const BOOT_PREFETCH_CACHE_SHARE = 0.75;

/** Limits for a RangeSource: the defaults, and as many chunks as fit its cache's share. */
export function bootPrefetchLimits(chunkSizeBytes: number, cacheBudgetBytes: number): BootPrefetchLimits {
  return { ...BOOT_PREFETCH_DEFAULTS, maxChunks: Math.floor((cacheBudgetBytes * BOOT_PREFETCH_CACHE_SHARE) / chunkSizeBytes) };
}

/**
 * The warm set's request size, in chunks (2 MiB with 64 KiB chunks): large enough to cost few
 * round trips, small enough that a guest read which joins one waits at most about 0.35 s at
 * 50 Mbit/s (a boot-set-sized 8 MiB request would keep it 1.3 s).
 */
export const WARM_PREFETCH_REQUEST_CHUNKS = 32;

/**
 * Limits for the warm set, planned after the boot set's `bootPlannedChunks`: the boot's limits
 * with every request at WARM_PREFETCH_REQUEST_CHUNKS (nothing in it is urgent), and the rest of
 * the cache share (both sets must stay in the chunk cache until the guest reads them).
 */
export function warmPrefetchLimits(bootLimits: BootPrefetchLimits, bootPlannedChunks: number): BootPrefetchLimits {
  const requestChunks = Math.min(bootLimits.maxRequestChunks, WARM_PREFETCH_REQUEST_CHUNKS);
  return { ...bootLimits, firstRequestChunks: requestChunks, maxRequestChunks: requestChunks, maxChunks: Math.max(0, bootLimits.maxChunks - bootPlannedChunks) };
}

/** How many chunks `requests` cover. */
export function plannedChunkCount(requests: readonly PrefetchRequest[]): number {
  return requests.reduce((sum, request) => sum + request.chunkCount, 0);
}

/** One Range request of the plan: chunks [firstChunk, firstChunk + chunkCount). */
export interface PrefetchRequest {
  firstChunk: number;
  chunkCount: number;
}

interface Segment {
  first: number;
  last: number;
}

/**
 * The requests that fetch the chunks of `runs` (first-read order) that `isMissing` says are
 * neither cached, nor in flight, nor all-zero, in the order they should be issued.
 */
export function planBootPrefetch(
  runs: ReadonlyArray<readonly [number, number]>,
  chunkCount: number,
  isMissing: (chunkIndex: number) => boolean,
  limits: BootPrefetchLimits,
): PrefetchRequest[] {
  const rank = wantedChunkRanks(runs, chunkCount, isMissing, limits.maxChunks);
  if (rank.size === 0) return [];
  const segments = bridgeSmallGaps(diskOrderSegments([...rank.keys()]), rank.size, limits);
  const needRank = (first: number, last: number) => {
    let best = Infinity;
    for (let chunk = first; chunk <= last; chunk += 1) best = Math.min(best, rank.get(chunk) ?? Infinity);
    return best;
  };
  segments.sort((a, b) => needRank(a.first, a.last) - needRank(b.first, b.last));

  const requests: Array<PrefetchRequest & { rank: number }> = [];
  let capChunks = Math.max(1, limits.firstRequestChunks);
  for (const { first, last } of segments) {
    for (let from = first; from <= last; ) {
      const chunkCountOfRequest = Math.min(capChunks, last - from + 1);
      const requestRank = needRank(from, from + chunkCountOfRequest - 1);
      // A piece of bridged gap alone is not worth a request.
      if (requestRank !== Infinity) requests.push({ firstChunk: from, chunkCount: chunkCountOfRequest, rank: requestRank });
      from += chunkCountOfRequest;
      capChunks = Math.min(capChunks * 2, Math.max(1, limits.maxRequestChunks));
    }
  }
  requests.sort((a, b) => a.rank - b.rank);
  return requests.map(({ firstChunk, chunkCount: count }) => ({ firstChunk, chunkCount: count }));
}

/** Each wanted chunk and its place in first-read order (a Map keeps that order too), at most `maxChunks`. */
function wantedChunkRanks(
  runs: ReadonlyArray<readonly [number, number]>,
  chunkCount: number,
  isMissing: (chunkIndex: number) => boolean,
  maxChunks: number,
): Map<number, number> {
  const rank = new Map<number, number>();
  for (const [first, count] of runs) {
    for (let chunk = first; chunk < first + count; chunk += 1) {
      if (rank.size >= maxChunks) return rank;
      if (!Number.isSafeInteger(chunk) || chunk < 0 || chunk >= chunkCount || rank.has(chunk) || !isMissing(chunk)) continue;
      rank.set(chunk, rank.size);
    }
  }
  return rank;
}

/** Maximal runs of consecutive chunks, ascending. */
function diskOrderSegments(chunks: number[]): Segment[] {
  const segments: Segment[] = [];
  for (const chunk of chunks.sort((a, b) => a - b)) {
    const last = segments[segments.length - 1];
    if (last && last.last + 1 === chunk) last.last = chunk;
    else segments.push({ first: chunk, last: chunk });
  }
  return segments;
}

/** Joins neighbouring segments across the smallest gaps while the bridged chunks stay within the limits. */
function bridgeSmallGaps(segments: Segment[], wantedChunks: number, limits: BootPrefetchLimits): Segment[] {
  const gaps = segments
    .slice(1)
    .map((segment, i) => ({ after: i, chunks: segment.first - segments[i]!.last - 1 }))
    .filter((gap) => gap.chunks <= limits.maxBridgedGapChunks)
    .sort((a, b) => a.chunks - b.chunks || a.after - b.after);
  let budget = Math.floor(wantedChunks * limits.maxBridgedFraction);
  const bridged = new Set<number>();
  for (const gap of gaps) {
    if (gap.chunks > budget) break;
    budget -= gap.chunks;
    bridged.add(gap.after);
  }
  const joined: Segment[] = [];
  segments.forEach((segment, i) => {
    const previous = joined[joined.length - 1];
    if (previous && bridged.has(i - 1)) previous.last = segment.last;
    else joined.push({ ...segment });
  });
  return joined;
}
