/**
 * The manifest's run-length list of all-zero chunks, `[firstChunkIndex, chunkCount][]`, as a
 * sorted, merged run list with a binary-search lookup. Chunks listed here are never fetched.
 */
export class ZeroChunkRuns {
  private readonly starts: number[] = [];
  private readonly ends: number[] = []; // exclusive

  constructor(runs: ReadonlyArray<readonly [number, number]>, chunkCount: number) {
    const sorted = runs
      .map(([start, count]) => {
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0) {
          throw new RangeError(`zeroChunks: invalid run [${start}, ${count}]`);
        }
        if (start + count > chunkCount) {
          throw new RangeError(`zeroChunks: run [${start}, ${count}] goes past the image's ${chunkCount} chunks`);
        }
        return [start, start + count] as const;
      })
      .filter(([start, end]) => end > start)
      .sort((a, b) => a[0] - b[0]);
    for (const [start, end] of sorted) {
      const lastIndex = this.ends.length - 1;
      const lastEnd = this.ends[lastIndex];
      if (lastEnd !== undefined && start <= lastEnd) {
        this.ends[lastIndex] = Math.max(lastEnd, end);
      } else {
        this.starts.push(start);
        this.ends.push(end);
      }
    }
  }

  has(chunkIndex: number): boolean {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const start = this.starts[mid] ?? 0;
      const end = this.ends[mid] ?? 0;
      if (chunkIndex < start) high = mid - 1;
      else if (chunkIndex >= end) low = mid + 1;
      else return true;
    }
    return false;
  }
}
