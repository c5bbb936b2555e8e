/**
 * Which root chunks a guest reads, in the order it first reads them: what a client would have
 * to fetch from the root image. A sector the guest wrote before reading it comes from the
 * workspace's leaf in the lab, not the root, so it does not count; all-zero chunks are never
 * fetched, so they do not count either.
 */
import { FileDisk } from './file-disk';

const SECTOR_BYTES = 512;

export class BootReadLog {
  /** Chunk indexes in first-read order. */
  readonly chunksInReadOrder: number[] = [];
  private readonly seenChunks = new Set<number>();
  private readonly writtenSectors = new Set<number>();

  constructor(
    readonly chunkSizeBytes: number,
    private readonly isZeroChunk: (chunkIndex: number) => boolean,
  ) {}

  noteRead(startBytes: number, lengthBytes: number): void {
    const firstSector = Math.floor(startBytes / SECTOR_BYTES);
    const endSector = Math.ceil((startBytes + lengthBytes) / SECTOR_BYTES);
    for (let sector = firstSector; sector < endSector; sector += 1) {
      if (this.writtenSectors.has(sector)) continue;
      const chunkIndex = Math.floor((sector * SECTOR_BYTES) / this.chunkSizeBytes);
      if (this.seenChunks.has(chunkIndex) || this.isZeroChunk(chunkIndex)) continue;
      this.seenChunks.add(chunkIndex);
      this.chunksInReadOrder.push(chunkIndex);
    }
  }

  noteWrite(startBytes: number, lengthBytes: number): void {
    // v86 writes whole sectors (FileDisk refuses anything else).
    for (let at = startBytes; at < startBytes + lengthBytes; at += SECTOR_BYTES) this.writtenSectors.add(at / SECTOR_BYTES);
  }
}

/** A copy-on-write FileDisk (the image file is never changed) that tells `log` about every read and write. */
export class RecordingFileDisk extends FileDisk {
  constructor(
    diskPath: string,
    readonly log: BootReadLog,
  ) {
    super(diskPath, { copyOnWrite: true });
  }

  override get(startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void): void {
    this.log.noteRead(startBytes, lengthBytes);
    super.get(startBytes, lengthBytes, fn);
  }

  override get_and_cache(startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void): void {
    this.log.noteRead(startBytes, lengthBytes);
    super.get_and_cache(startBytes, lengthBytes, fn);
  }

  override get_from_cache(startBytes: number, lengthBytes: number): Uint8Array {
    this.log.noteRead(startBytes, lengthBytes);
    return super.get_from_cache(startBytes, lengthBytes);
  }

  override set(startBytes: number, data: Uint8Array, fn: () => void): void {
    this.log.noteWrite(startBytes, data.byteLength);
    super.set(startBytes, data, fn);
  }
}
