/**
 * An imported overlay as leaf block records (lib/disk/leaf-store.ts), ready for
 * LeafStore.writeBlocks: ascending block order, in batches of a few MiB so an import never holds
 * the whole overlay in memory.
 */
import type { LeafBlockRecord } from '../disk/leaf-store';
import { SECTOR_SIZE_BYTES } from '../disk/leaf-store';
import { createBitmap, markSector } from '../disk/sector-bitmap';
import type { Qcow2Overlay } from './import';

const BATCH_BYTES = 4 * 1024 * 1024;

export async function* overlayLeafBlocks(overlay: Qcow2Overlay, blockSizeBytes: number): AsyncGenerator<LeafBlockRecord[]> {
  if (!Number.isSafeInteger(blockSizeBytes) || blockSizeBytes <= 0 || blockSizeBytes % SECTOR_SIZE_BYTES !== 0) {
    throw new RangeError(`overlayLeafBlocks: block size ${blockSizeBytes} is not a positive multiple of 512`);
  }
  const sectorsPerBlock = blockSizeBytes / SECTOR_SIZE_BYTES;
  const maxBlocksPerBatch = Math.max(1, Math.floor(BATCH_BYTES / blockSizeBytes));
  let pending: { blockIndex: number; validSectors: Uint8Array }[] = [];
  for (const [firstSector, sectorCount] of overlay.sectorRuns) {
    for (let sector = firstSector; sector < firstSector + sectorCount; sector += 1) {
      const blockIndex = Math.floor(sector / sectorsPerBlock);
      let block = pending[pending.length - 1];
      if (block === undefined || block.blockIndex !== blockIndex) {
        if (pending.length === maxBlocksPerBatch) {
          yield await readBlocks(overlay, pending, blockSizeBytes);
          pending = [];
        }
        block = { blockIndex, validSectors: createBitmap(sectorsPerBlock) };
        pending.push(block);
      }
      markSector(block.validSectors, sector - blockIndex * sectorsPerBlock);
    }
  }
  if (pending.length > 0) yield await readBlocks(overlay, pending, blockSizeBytes);
}

/** One readSectors per stretch of consecutive blocks (clipped to the disk), cut into whole blocks. */
async function readBlocks(overlay: Qcow2Overlay, blocks: readonly { blockIndex: number; validSectors: Uint8Array }[], blockSizeBytes: number): Promise<LeafBlockRecord[]> {
  const sectorsPerBlock = blockSizeBytes / SECTOR_SIZE_BYTES;
  const diskSectors = overlay.virtualSizeBytes / SECTOR_SIZE_BYTES;
  const records: LeafBlockRecord[] = [];
  for (let start = 0; start < blocks.length; ) {
    let end = start + 1;
    while (end < blocks.length && blocks[end]?.blockIndex === (blocks[start]?.blockIndex ?? 0) + (end - start)) end += 1;
    const firstSector = (blocks[start]?.blockIndex ?? 0) * sectorsPerBlock;
    const bytes = await overlay.readSectors(firstSector, Math.min((end - start) * sectorsPerBlock, diskSectors - firstSector));
    for (let index = start; index < end; index += 1) {
      const block = blocks[index];
      if (block === undefined) continue;
      const data = new Uint8Array(blockSizeBytes);
      data.set(bytes.subarray((index - start) * blockSizeBytes, (index - start + 1) * blockSizeBytes));
      records.push({ blockIndex: block.blockIndex, data, validSectors: block.validSectors });
    }
    start = end;
  }
  return records;
}
