/**
 * FrozenLayers held in memory, for tests of the layer format, the store and the publisher:
 * blocks of seeded pseudo-random bytes, with garbage in unmarked sectors too (a canonical body
 * must zero them), and counters of the reads asked of it.
 */
import type { FrozenLayer } from '../../lib/disk/frozen-layer';
import type { RootIdentity } from '../../lib/disk/leaf-store';
import { createBitmap, hasSector, markSector } from '../../lib/disk/sector-bitmap';

export interface MemoryBlock {
  bitmap: Uint8Array;
  data: Uint8Array;
}

export interface MemoryFrozenLayer extends FrozenLayer {
  readonly blocks: ReadonlyMap<number, MemoryBlock>;
  readonly readBlocksCalls: number[][];
}

export function memoryFrozenLayer(id: string, root: RootIdentity, blockSizeBytes: number, blocks: ReadonlyMap<number, MemoryBlock>): MemoryFrozenLayer {
  const readBlocksCalls: number[][] = [];
  return {
    id,
    kind: 'checkpoint',
    parentId: undefined,
    root,
    blockSizeBytes,
    sectorMap: new Map([...blocks].map(([blockIndex, block]) => [blockIndex, block.bitmap])),
    blocks,
    readBlocksCalls,
    readBlocks(blockIndices) {
      readBlocksCalls.push([...blockIndices]);
      return Promise.resolve(new Map(blockIndices.map((blockIndex) => [blockIndex, blocks.get(blockIndex)!.data.slice()])));
    },
    close: () => undefined,
  };
}

/** xorshift32 bytes: the same seed, the same bytes. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/**
 * Blocks at `blockIndices`, each with data seeded by (seed, blockIndex) so that two layers built
 * with the same seed share identical blocks; every block marks some sectors and leaves the rest
 * holding garbage (a block index divisible by 3 marks every sector).
 */
export function seededBlocks(blockIndices: readonly number[], blockSizeBytes: number, seed: number): Map<number, MemoryBlock> {
  const sectorsPerBlock = blockSizeBytes / 512;
  return new Map(
    blockIndices.map((blockIndex) => {
      const bitmap = createBitmap(sectorsPerBlock);
      for (let sector = 0; sector < sectorsPerBlock; sector += 1) if (blockIndex % 3 === 0 || (sector * 7 + blockIndex) % 5 < 2) markSector(bitmap, sector);
      markSector(bitmap, blockIndex % sectorsPerBlock);
      return [blockIndex, { bitmap, data: seededBytes(blockSizeBytes, seed * 1_000_003 + blockIndex + 1) }];
    }),
  );
}

/** The block as a canonical body holds it: unmarked sectors zero. */
export function expectedBlock(block: MemoryBlock): Uint8Array {
  const out = block.data.slice();
  for (let sector = 0; sector * 512 < out.length; sector += 1) if (!hasSector(block.bitmap, sector)) out.fill(0, sector * 512, (sector + 1) * 512);
  return out;
}
