/**
 * A root source whose chunks are in whatever layer a test says (all-zero, cached, remote),
 * for tests of layer queries. Its bytes are `bytes` (all zero by default), served whatever
 * the layer says: tests using it look at layers, not at fetching.
 */
import { emptyRootCounters, type RootLayer, type RootSource, type RootSourceCounters } from '@/lib/disk/root-source';

export class LayeredRoot implements RootSource {
  readonly layers: RootLayer[];

  constructor(
    readonly sizeBytes: number,
    readonly chunkSizeBytes: number,
    layers: readonly RootLayer[] = [],
    private readonly bytes: Uint8Array = new Uint8Array(0),
  ) {
    const chunkCount = Math.ceil(sizeBytes / chunkSizeBytes);
    this.layers = Array.from({ length: chunkCount }, (_, i) => layers[i % Math.max(1, layers.length)] ?? 'remote');
  }

  get counters(): RootSourceCounters {
    return emptyRootCounters();
  }

  async read(offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    const out = new Uint8Array(lengthBytes);
    out.set(this.bytes.subarray(offsetBytes, offsetBytes + lengthBytes));
    return out;
  }

  readForInspection(offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    return this.read(offsetBytes, lengthBytes);
  }

  readIfCached(): Uint8Array | undefined {
    return undefined;
  }

  layerOf(offsetBytes: number): RootLayer {
    return this.layers[Math.floor(offsetBytes / this.chunkSizeBytes)] ?? 'remote';
  }
}
