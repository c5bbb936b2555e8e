/**
 * A root image in memory that answers like the range source: a chunk read for the guest
 * takes a while (random pauses, so root reads interleave with writes and commits) and is
 * cached afterwards; all-zero chunks are 'zero'; inspection reads take as long but are never
 * cached. Runs in Node and in the browser.
 */
import { assertByteRange, emptyRootCounters, type RootLayer, type RootSource, type RootSourceCounters } from '@/lib/disk/root-source';

export class SlowRoot implements RootSource {
  readonly chunkSizeBytes = 64 * 1024;
  private readonly cached = new Set<number>();
  private readonly zeroChunks = new Set<number>();
  readonly calls = { read: 0, readForInspection: 0 };

  constructor(
    private readonly bytes: Uint8Array,
    private readonly pause: () => Promise<void>,
  ) {
    for (let chunk = 0; chunk * this.chunkSizeBytes < bytes.length; chunk += 1) {
      const end = Math.min(bytes.length, (chunk + 1) * this.chunkSizeBytes);
      let at = chunk * this.chunkSizeBytes;
      while (at < end && bytes[at] === 0) at += 1;
      if (at === end) this.zeroChunks.add(chunk);
    }
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }

  get counters(): RootSourceCounters {
    return { ...emptyRootCounters(), chunksCached: this.cached.size };
  }

  async read(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    assertByteRange('SlowRoot.read', offsetBytes, lengthBytes, this.sizeBytes);
    this.calls.read += 1;
    await this.pause();
    signal?.throwIfAborted();
    for (const chunk of this.chunksOf(offsetBytes, lengthBytes)) if (!this.zeroChunks.has(chunk)) this.cached.add(chunk);
    return this.bytes.slice(offsetBytes, offsetBytes + lengthBytes);
  }

  async readForInspection(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    assertByteRange('SlowRoot.readForInspection', offsetBytes, lengthBytes, this.sizeBytes);
    this.calls.readForInspection += 1;
    await this.pause();
    signal?.throwIfAborted();
    return this.bytes.slice(offsetBytes, offsetBytes + lengthBytes);
  }

  readIfCached(offsetBytes: number, lengthBytes: number): Uint8Array | undefined {
    assertByteRange('SlowRoot.readIfCached', offsetBytes, lengthBytes, this.sizeBytes);
    const inMemory = this.chunksOf(offsetBytes, lengthBytes).every((chunk) => this.layerOfChunk(chunk) !== 'remote');
    return inMemory ? this.bytes.slice(offsetBytes, offsetBytes + lengthBytes) : undefined;
  }

  layerOf(offsetBytes: number): RootLayer {
    return this.layerOfChunk(Math.floor(offsetBytes / this.chunkSizeBytes));
  }

  private layerOfChunk(chunk: number): RootLayer {
    return this.zeroChunks.has(chunk) ? 'zero' : this.cached.has(chunk) ? 'cached' : 'remote';
  }

  private chunksOf(offsetBytes: number, lengthBytes: number): number[] {
    if (lengthBytes === 0) return [];
    const first = Math.floor(offsetBytes / this.chunkSizeBytes);
    const last = Math.floor((offsetBytes + lengthBytes - 1) / this.chunkSizeBytes);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }
}
