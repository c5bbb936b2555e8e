/**
 * The canonical body of a frozen layer, produced as a stream of 64 KiB chunks (the last one
 * short): the index area, then every held block with the bytes of unmarked sectors set to zero,
 * so the same layer content always gives the same bytes, chunk table and id. Blocks are read in
 * batches; the whole body is never in memory.
 */
import type { FrozenLayer } from '../disk/frozen-layer';
import { hasSector } from '../disk/sector-bitmap';
import { SECTOR_SIZE_BYTES } from '../images/manifest';
import { encodeIndexArea } from './layer-index';
import { LAYER_CHUNK_SIZE_BYTES } from './layer-format';

/** Blocks per readBlocks call: 1 MiB of 32 KiB blocks. */
const DEFAULT_BATCH_BLOCKS = 32;

/** A copy of `block` with the sectors `bitmap` does not mark set to zero. */
export function canonicalBlock(block: Uint8Array, bitmap: Uint8Array, blockSizeBytes: number): Uint8Array {
  if (block.length !== blockSizeBytes) throw new RangeError(`a block read back is ${block.length} bytes, not ${blockSizeBytes}`);
  const out = block.slice();
  for (let sector = 0; sector * SECTOR_SIZE_BYTES < blockSizeBytes; sector += 1) {
    if (!hasSector(bitmap, sector)) out.fill(0, sector * SECTOR_SIZE_BYTES, (sector + 1) * SECTOR_SIZE_BYTES);
  }
  return out;
}

/** Cuts a stream of pieces into whole chunks. */
class ChunkAssembler {
  private buffer = new Uint8Array(LAYER_CHUNK_SIZE_BYTES);
  private filledBytes = 0;

  *push(piece: Uint8Array): Generator<Uint8Array> {
    let offset = 0;
    while (offset < piece.length) {
      const taken = Math.min(piece.length - offset, LAYER_CHUNK_SIZE_BYTES - this.filledBytes);
      this.buffer.set(piece.subarray(offset, offset + taken), this.filledBytes);
      this.filledBytes += taken;
      offset += taken;
      if (this.filledBytes === LAYER_CHUNK_SIZE_BYTES) {
        yield this.buffer;
        this.buffer = new Uint8Array(LAYER_CHUNK_SIZE_BYTES);
        this.filledBytes = 0;
      }
    }
  }

  *finish(): Generator<Uint8Array> {
    if (this.filledBytes > 0) yield this.buffer.slice(0, this.filledBytes);
  }
}

/**
 * The body's chunks in order. `blockIndices` is canonicalBlockIndices(layer.sectorMap) (the
 * caller computes it once, for the descriptor too).
 */
export async function* layerBodyChunks(
  layer: FrozenLayer,
  blockIndices: readonly number[],
  options: { signal?: AbortSignal | undefined; batchBlocks?: number } = {},
): AsyncGenerator<Uint8Array> {
  const assembler = new ChunkAssembler();
  yield* assembler.push(encodeIndexArea(blockIndices, layer.sectorMap, layer.blockSizeBytes));
  const batchBlocks = options.batchBlocks ?? DEFAULT_BATCH_BLOCKS;
  for (let start = 0; start < blockIndices.length; start += batchBlocks) {
    options.signal?.throwIfAborted();
    const batch = blockIndices.slice(start, start + batchBlocks);
    const blocks = await layer.readBlocks(batch, options.signal);
    for (const blockIndex of batch) {
      const block = blocks.get(blockIndex);
      if (!block) throw new Error(`Layer ${layer.id} did not return block ${blockIndex}, which its sector map holds`);
      yield* assembler.push(canonicalBlock(block, layer.sectorMap.get(blockIndex)!, layer.blockSizeBytes));
    }
  }
  yield* assembler.finish();
}
