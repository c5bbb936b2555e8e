/** The body index and the canonical body a frozen layer gives. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBitmap, markSector } from '../../../lib/disk/sector-bitmap';
import { layerBodyChunks } from '../../../lib/layers/layer-body';
import { bodyGeometry } from '../../../lib/layers/layer-body-geometry';
import { LayerFormatError } from '../../../lib/layers/layer-format';
import { canonicalBlockIndices, encodeIndexArea, parseIndexArea } from '../../../lib/layers/layer-index';
import { canonicalBody } from '../../support/layer-upload-fixture';
import { expectedBlock, memoryFrozenLayer, seededBlocks } from '../../support/memory-frozen-layer';

const ROOT = { id: 'img', sizeBytes: 8 * 1024 * 1024, sha256: 'a'.repeat(64) };
const BLOCK = 32768;

function layerWith(blockIndices: number[], seed = 1, blockSizeBytes = BLOCK) {
  return memoryFrozenLayer('cp-test', ROOT, blockSizeBytes, seededBlocks(blockIndices, blockSizeBytes, seed));
}

describe('layer index', () => {
  it('round-trips a sector map, in ascending block order', () => {
    const layer = layerWith([200, 3, 17, 0, 255]);
    const blockIndices = canonicalBlockIndices(layer.sectorMap);
    expect(blockIndices).toEqual([0, 3, 17, 200, 255]);
    const area = encodeIndexArea(blockIndices, layer.sectorMap, BLOCK);
    expect(area.length).toBe(65536);
    const parsed = parseIndexArea(area, { root: ROOT, blockSizeBytes: BLOCK, blockCount: 5 });
    expect(parsed.blockIndices).toEqual(blockIndices);
    expect(parsed.sectorMap).toEqual(new Map(blockIndices.map((b) => [b, layer.sectorMap.get(b)])));
  });

  it('leaves out blocks that mark no sector (canonical form)', () => {
    const sectorMap = new Map([[4, createBitmap(64)], [5, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)]]);
    expect(canonicalBlockIndices(sectorMap)).toEqual([5]);
  });

  function indexWith(entries: Array<[number, Uint8Array]>, blockSizeBytes = BLOCK): Uint8Array {
    const geometry = bodyGeometry(blockSizeBytes, entries.length);
    const area = new Uint8Array(geometry.dataStartBytes);
    const view = new DataView(area.buffer);
    entries.forEach(([blockIndex, bitmap], ordinal) => {
      view.setUint32(ordinal * geometry.indexEntryBytes, blockIndex, true);
      area.set(bitmap, ordinal * geometry.indexEntryBytes + 4);
    });
    return area;
  }
  const some = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);
  const refusals: Array<[string, Uint8Array, number, number, RegExp]> = [
    ['descending entries', indexWith([[5, some], [4, some]]), BLOCK, 2, /must ascend strictly/],
    ['a repeated entry', indexWith([[5, some], [5, some]]), BLOCK, 2, /must ascend strictly/],
    ['a block past the root', indexWith([[256, some]]), BLOCK, 1, /names block 256, but the root has 256 blocks/],
    ['an empty bitmap', indexWith([[1, new Uint8Array(8)]]), BLOCK, 1, /marks no sector/],
    ['bits past the block', indexWith([[1, Uint8Array.of(0x81)]], 3072), 3072, 1, /marks sectors past the block's 6/],
  ];
  it.each(refusals)('refuses %s', (_, area, blockSizeBytes, blockCount, message) => {
    expect(() => parseIndexArea(area, { root: ROOT, blockSizeBytes, blockCount })).toThrow(LayerFormatError);
    expect(() => parseIndexArea(area, { root: ROOT, blockSizeBytes, blockCount })).toThrow(message);
  });

  it('refuses non-zero padding after the index, and a short index', () => {
    const area = indexWith([[1, some]]);
    area[100] = 1;
    expect(() => parseIndexArea(area, { root: ROOT, blockSizeBytes: BLOCK, blockCount: 1 })).toThrow('padding byte 100');
    expect(() => parseIndexArea(new Uint8Array(5), { root: ROOT, blockSizeBytes: BLOCK, blockCount: 1 })).toThrow('but 1 entries need 12');
  });
});

describe('layer body', () => {
  it('is the index area, then every block with unmarked sectors zeroed, in 64 KiB chunks', async () => {
    const layer = layerWith([9, 1, 40, 41, 100]);
    const chunks: Uint8Array[] = [];
    for await (const chunk of layerBodyChunks(layer, canonicalBlockIndices(layer.sectorMap), { batchBlocks: 2 })) chunks.push(chunk.slice());
    expect(chunks.map((c) => c.length)).toEqual([65536, 65536, 65536, 32768]);
    expect(layer.readBlocksCalls).toEqual([[1, 9], [40, 41], [100]]);
    const body = Buffer.concat(chunks);
    expect(body.length).toBe(bodyGeometry(BLOCK, 5).bodySizeBytes);
    [1, 9, 40, 41, 100].forEach((blockIndex, ordinal) => {
      const block = body.subarray(65536 + ordinal * BLOCK, 65536 + (ordinal + 1) * BLOCK);
      expect(Buffer.from(block).equals(Buffer.from(expectedBlock(layer.blocks.get(blockIndex)!)))).toBe(true);
    });
  });

  it('is the same bytes for the same content, whatever the unmarked sectors held', async () => {
    const first = layerWith([2, 3], 1);
    const blocks = new Map([...first.blocks].map(([blockIndex, block]) => [blockIndex, { bitmap: block.bitmap, data: block.data.slice() }]));
    // Change only bytes the bitmaps do not mark.
    for (const block of blocks.values())
      for (let sector = 0; sector < 64; sector += 1)
        if (((block.bitmap[sector >> 3] ?? 0) & (1 << (sector & 7))) === 0) block.data.fill(0xee, sector * 512, sector * 512 + 512);
    const second = memoryFrozenLayer('cp-other', ROOT, BLOCK, blocks);
    const digest = async (layer: typeof first) => createHash('sha256').update(await canonicalBody(layer)).digest('hex');
    expect(await digest(second)).toBe(await digest(first));
    const marked = createBitmap(64);
    markSector(marked, 0);
    const changed = memoryFrozenLayer('cp-changed', ROOT, BLOCK, new Map([...blocks, [3, { bitmap: marked, data: blocks.get(3)!.data }]]));
    expect(await digest(changed)).not.toBe(await digest(first));
  });

  it('is empty for a layer with no blocks', async () => {
    expect((await canonicalBody(memoryFrozenLayer('cp-empty', ROOT, BLOCK, new Map()))).length).toBe(0);
  });
});
