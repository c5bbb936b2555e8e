/**
 * An image's boot working set: the root chunks a boot to the shell prompt reads. The image build records it by booting the image once under v86 in Node
 * (image/tools/record-boot-set.ts) and stores it in the manifest; the lab fetches those chunks
 * while v86 is still loading (lib/disk/boot-prefetch.ts), so the guest's first reads hit memory.
 *
 * The set names the sha-256 of the disk it was recorded on: a set recorded on another build is
 * a wrong guess about this one, so clients ignore it (`bootSetRunsFor`).
 *
 * Plain TypeScript with no Node or DOM imports: the server, the image tools and the browser use it.
 */

/** `[firstChunkIndex, chunkCount]`: consecutive chunks, read one after another. */
export type ChunkRun = [number, number];

export interface BootSet {
  /** The sha-256 of the disk the set was recorded on. */
  imageSha256: string;
  /** Must equal the manifest's chunkSizeBytes. */
  chunkSizeBytes: number;
  /**
   * The chunks, in the order a client should fetch them; no chunk twice, no all-zero chunk. The
   * recorder writes them in ascending order, which is reproducible where a boot's read order is
   * not (image/tools/record-boot-set.ts); a hand-made set may give the first-read order.
   */
  runs: ChunkRun[];
}

/**
 * Bounds on a set, so a manifest cannot make every client download the whole disk at open or
 * flood the page: a boot that reads more than this is not a boot worth prefetching.
 */
export const BOOT_SET_LIMITS = { runs: 16_384, bytes: 512 * 1024 * 1024 } as const;

/** The geometry a set is checked against (the manifest's). */
export interface BootSetGeometry {
  sizeBytes: number;
  sha256: string;
  chunkSizeBytes: number;
  zeroChunks: ReadonlyArray<readonly [number, number]>;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks an untrusted `bootSet` value (or another set of the same shape, named `field`: the
 * `warmSet`) against the manifest it sits in; `fail` throws with the problem. The all-zero-chunk check applies only to a set recorded on this disk (the zero chunks
 * of another build say nothing about it); bounds, overlap and limits apply to every set.
 */
export function parseBootSet(value: unknown, geometry: BootSetGeometry, fail: (problem: string) => never, field = 'bootSet'): BootSet {
  const shape = `"${field}" must be { "imageSha256": "<64 hex>", "chunkSizeBytes": N, "runs": [[firstChunk, count], …] }`;
  if (!isRecord(value)) return fail(shape);
  const { imageSha256, chunkSizeBytes, runs } = value;
  if (typeof imageSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(imageSha256)) return fail(`${shape}: "imageSha256" must be 64 lower-case hex digits`);
  if (chunkSizeBytes !== geometry.chunkSizeBytes)
    return fail(`"${field}.chunkSizeBytes" is ${String(chunkSizeBytes)}, but the manifest's chunkSizeBytes is ${geometry.chunkSizeBytes}`);
  if (!Array.isArray(runs)) return fail(`${shape}: "runs" must be an array`);
  if (runs.length > BOOT_SET_LIMITS.runs) return fail(`"${field}.runs" has ${runs.length} runs; at most ${BOOT_SET_LIMITS.runs} are allowed`);

  const chunkCount = Math.ceil(geometry.sizeBytes / geometry.chunkSizeBytes);
  const parsed: ChunkRun[] = [];
  let totalChunks = 0;
  for (const run of runs as unknown[]) {
    if (!Array.isArray(run) || run.length !== 2 || !isCount(run[0]) || !isCount(run[1]) || run[1] === 0)
      return fail(`"${field}.runs" entries must be [firstChunk, count] with count > 0`);
    const [first, count] = run as [number, number];
    if (first + count > chunkCount) return fail(`"${field}.runs" run [${first}, ${count}] lies past the last chunk ${chunkCount - 1}`);
    totalChunks += count;
    parsed.push([first, count]);
  }
  const maxChunks = Math.floor(BOOT_SET_LIMITS.bytes / geometry.chunkSizeBytes);
  if (totalChunks > maxChunks)
    return fail(`"${field}" names ${totalChunks} chunks (${totalChunks * geometry.chunkSizeBytes} bytes); at most ${BOOT_SET_LIMITS.bytes} bytes are allowed`);

  const sorted = [...parsed].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i += 1) {
    const [previousFirst, previousCount] = sorted[i - 1]!;
    const [first, count] = sorted[i]!;
    if (first < previousFirst + previousCount)
      return fail(`"${field}.runs" [${previousFirst}, ${previousCount}] and [${first}, ${count}] overlap: a chunk is listed once`);
  }
  if (imageSha256 === geometry.sha256) {
    const zero = firstOverlap(sorted, geometry.zeroChunks);
    if (zero !== undefined) return fail(`"${field}.runs" includes chunk ${zero}, which "zeroChunks" lists as all-zero (never fetched)`);
  }
  return { imageSha256, chunkSizeBytes: geometry.chunkSizeBytes, runs: parsed };
}

/** The first chunk both lists hold; `sortedRuns` ascending, `zeroRuns` in any order. */
function firstOverlap(sortedRuns: ReadonlyArray<readonly [number, number]>, zeroRuns: ReadonlyArray<readonly [number, number]>): number | undefined {
  let found: number | undefined;
  for (const [zeroFirst, zeroCount] of zeroRuns) {
    for (const [first, count] of sortedRuns) {
      const from = Math.max(first, zeroFirst);
      if (from < Math.min(first + count, zeroFirst + zeroCount) && (found === undefined || from < found)) found = from;
    }
  }
  return found;
}

/** Chunk indexes in order as runs: consecutive indexes share a run. */
export function chunkRunsOf(chunkIndexes: readonly number[]): ChunkRun[] {
  const runs: ChunkRun[] = [];
  for (const chunkIndex of chunkIndexes) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === chunkIndex) last[1] += 1;
    else runs.push([chunkIndex, 1]);
  }
  return runs;
}

/** The chunk indexes of runs, in order. */
export function chunksOfRuns(runs: ReadonlyArray<readonly [number, number]>): number[] {
  const chunks: number[] = [];
  for (const [first, count] of runs) for (let i = 0; i < count; i += 1) chunks.push(first + i);
  return chunks;
}

/** A set's runs when it was recorded on exactly this image; otherwise none (a wrong guess is worse than none). */
function runsRecordedOn(image: { sha256: string; chunkSizeBytes: number }, set: BootSet | undefined): ChunkRun[] | undefined {
  if (!set || set.imageSha256 !== image.sha256 || set.chunkSizeBytes !== image.chunkSizeBytes || set.runs.length === 0) return undefined;
  return set.runs;
}

/** The boot set's runs when it was recorded on exactly this image. */
export function bootSetRunsFor(image: { sha256: string; chunkSizeBytes: number; bootSet?: BootSet | undefined }): ChunkRun[] | undefined {
  return runsRecordedOn(image, image.bootSet);
}

/** The warm set's runs (what the image's first lesson commands read) when it was recorded on exactly this image. */
export function warmSetRunsFor(image: { sha256: string; chunkSizeBytes: number; warmSet?: BootSet | undefined }): ChunkRun[] | undefined {
  return runsRecordedOn(image, image.warmSet);
}
