/**
 * Writes that are not committed yet, held in memory so reads see them at once
 * (read-your-writes). Organised like the leaf itself, block by block with a valid-sector
 * bitmap, so a committing batch turns into leaf records without reshaping.
 */
import { SECTOR_SIZE_BYTES } from './leaf-store';
import { createBitmap, hasSector, markSector } from './sector-bitmap';

export interface PendingBlock {
  /** Whole block; only sectors marked in `validSectors` mean anything. */
  readonly data: Uint8Array;
  readonly validSectors: Uint8Array;
}

export class PendingOverlay {
  readonly blocks = new Map<number, PendingBlock>();
  private sectors = 0;

  constructor(readonly sectorsPerBlock: number) {}

  get isEmpty(): boolean {
    return this.blocks.size === 0;
  }

  /** Distinct sectors held. */
  get sectorCount(): number {
    return this.sectors;
  }

  /** Memory held: every block touched is a whole block's buffer. */
  get heldBytes(): number {
    return this.blocks.size * this.sectorsPerBlock * SECTOR_SIZE_BYTES;
  }

  /** The memory that writing sectors [firstSector, endSector) would add (blocks not held yet). */
  addedBytesFor(firstSector: number, endSector: number): number {
    if (endSector <= firstSector) return 0;
    const firstBlock = Math.floor(firstSector / this.sectorsPerBlock);
    const lastBlock = Math.floor((endSector - 1) / this.sectorsPerBlock);
    let newBlocks = 0;
    for (let blockIndex = firstBlock; blockIndex <= lastBlock; blockIndex += 1) if (!this.blocks.has(blockIndex)) newBlocks += 1;
    return newBlocks * this.sectorsPerBlock * SECTOR_SIZE_BYTES;
  }

  /** Copies whole sectors: `data.length` is a multiple of 512, starting at `firstSector`. */
  writeSectors(firstSector: number, data: Uint8Array): void {
    const sectorCount = data.length / SECTOR_SIZE_BYTES;
    for (let i = 0; i < sectorCount; i += 1) {
      const sector = firstSector + i;
      const blockIndex = Math.floor(sector / this.sectorsPerBlock);
      const sectorInBlock = sector - blockIndex * this.sectorsPerBlock;
      let block = this.blocks.get(blockIndex);
      if (!block) {
        block = {
          data: new Uint8Array(this.sectorsPerBlock * SECTOR_SIZE_BYTES),
          validSectors: createBitmap(this.sectorsPerBlock),
        };
        this.blocks.set(blockIndex, block);
      }
      if (!hasSector(block.validSectors, sectorInBlock)) {
        markSector(block.validSectors, sectorInBlock);
        this.sectors += 1;
      }
      block.data.set(
        data.subarray(i * SECTOR_SIZE_BYTES, (i + 1) * SECTOR_SIZE_BYTES),
        sectorInBlock * SECTOR_SIZE_BYTES,
      );
    }
  }

  has(sector: number): boolean {
    const blockIndex = Math.floor(sector / this.sectorsPerBlock);
    const block = this.blocks.get(blockIndex);
    return block !== undefined && hasSector(block.validSectors, sector - blockIndex * this.sectorsPerBlock);
  }

  /** Copies the sector into `out` at `outOffsetBytes` if held; says whether it was. */
  copySectorInto(sector: number, out: Uint8Array, outOffsetBytes: number): boolean {
    const blockIndex = Math.floor(sector / this.sectorsPerBlock);
    const block = this.blocks.get(blockIndex);
    const sectorInBlock = sector - blockIndex * this.sectorsPerBlock;
    if (!block || !hasSector(block.validSectors, sectorInBlock)) return false;
    const start = sectorInBlock * SECTOR_SIZE_BYTES;
    out.set(block.data.subarray(start, start + SECTOR_SIZE_BYTES), outOffsetBytes);
    return true;
  }
}
