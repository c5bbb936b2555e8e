/**
 * The guest's readahead window, in chunks. It starts at 1, doubles while reads continue a
 * sequential scan (each read starting in the chunk where the previous one ended, or the next),
 * and drops back to 1 on ANY read that does not, whether that read is served from the cache
 * or not: a random read must never pay for bytes nobody asked for. Only the guest's reads move
 * it; inspection reads (block map, export) never do.
 */
export class ReadaheadWindow {
  private lastReadChunk: number | undefined;
  private windowChunks = 1;

  constructor(readonly maxChunks: number) {
    if (!Number.isSafeInteger(maxChunks) || maxChunks <= 0) {
      throw new RangeError(`RangeSource: maxReadaheadChunks must be a positive integer, got ${maxChunks}`);
    }
  }

  get chunks(): number {
    return this.windowChunks;
  }

  /** Call at the start of a guest read; returns whether it continues the scan (and resets the window if not). */
  startRead(firstChunk: number): boolean {
    const last = this.lastReadChunk;
    const sequential = last !== undefined && (firstChunk === last || firstChunk === last + 1);
    if (!sequential) this.windowChunks = 1;
    return sequential;
  }

  /** Call when a guest read has been laid out; the next read continues the scan if it starts here. */
  endRead(lastChunk: number): void {
    this.lastReadChunk = lastChunk;
  }

  /** Doubles the window (up to the cap) and returns it. */
  grow(): number {
    this.windowChunks = Math.min(this.windowChunks * 2, this.maxChunks);
    return this.windowChunks;
  }
}
