/**
 * A root source whose chunks are in whatever layer a test says (all-zero, cached, remote),
 * for tests of layer queries. Its bytes are all zero: tests using it look at layers, not data.
 */
import { emptyRootCounters, type RootLayer, type RootSource, type RootSourceCounters } from '@/lib/disk/root-source';

export class LayeredRoot implements RootSource {
  readonly layers: RootLayer[];

  constructor(
    readonly sizeBytes: number,
    readonly chunkSizeBytes: number,
    layers: readonly RootLayer[] = [],
  ) {
    const chunkCount = Math.ceil(sizeBytes / chunkSizeBytes);
    this.layers = Array.from({ length: chunkCount }, (_, i) => layers[i % Math.max(1, layers.length)] ?? 'remote');
  }

  get counters(): RootSourceCounters {
    return emptyRootCounters();
  }

  async read(_offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    return new Uint8Array(lengthBytes);
  }

  readIfCached(): Uint8Array | undefined {
    return undefined;
  }

  layerOf(offsetBytes: number): RootLayer {
    return this.layers[Math.floor(offsetBytes / this.chunkSizeBytes)] ?? 'remote';
  }
}
