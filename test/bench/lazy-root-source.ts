/**
 * A root image of any size whose bytes are made up when read (each sector filled with a byte
 * of its own number), so the bench can stack layers on a 4 GiB disk without holding 4 GiB.
 * Every byte counts as in memory, like MemoryRootSource: the bench measures the union device's
 * own work, not the network.
 */
import { SECTOR_SIZE_BYTES } from '../../lib/disk/leaf-store';
import { assertByteRange, emptyRootCounters, type RootLayer, type RootSource, type RootSourceCounters } from '../../lib/disk/root-source';

export class LazyRootSource implements RootSource {
  readonly chunkSizeBytes = 64 * 1024;

  constructor(readonly sizeBytes: number) {}

  get counters(): RootSourceCounters {
    return emptyRootCounters();
  }

  async read(offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    return this.readIfCached(offsetBytes, lengthBytes);
  }

  async readForInspection(offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    return this.readIfCached(offsetBytes, lengthBytes);
  }

  readIfCached(offsetBytes: number, lengthBytes: number): Uint8Array {
    assertByteRange('LazyRootSource.read', offsetBytes, lengthBytes, this.sizeBytes);
    const bytes = new Uint8Array(lengthBytes);
    for (let at = 0; at < lengthBytes; ) {
      const sector = Math.floor((offsetBytes + at) / SECTOR_SIZE_BYTES);
      const sectorEnd = Math.min(lengthBytes, (sector + 1) * SECTOR_SIZE_BYTES - offsetBytes);
      bytes.fill(sector & 0xff, at, sectorEnd);
      at = sectorEnd;
    }
    return bytes;
  }

  layerOf(): RootLayer {
    return 'cached';
  }
}
