/**
 * The paged sector map's offset arithmetic (block ↔ page ↔ bit) against the simplest model:
 * one bitmap per block, as the old sector map stored it. Block sizes include ones that are not
 * a multiple of 8 sectors and blocks that straddle a page, where the arithmetic can slip.
 * Also: both stores (the memory twin and IndexedDB) give back the same map after a reopen.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import type { LeafMeta } from '@/lib/disk/leaf-store';
import { MemoryLeafStore } from '@/lib/disk/memory-leaf-store';
import { bitmapByteLength, hasSector } from '@/lib/disk/sector-bitmap';
import { pagesWithBlocks, SECTORS_PER_PAGE, SectorMap } from '@/lib/disk/sector-pages';

type SetOp = readonly [blockIndex: number, bitmap: Uint8Array];

/** The model: blockIndex → bitmap, an all-zero bitmap meaning "not mapped". */
function modelOf(sectorsPerBlock: number, ops: readonly SetOp[]): Map<number, Uint8Array> {
  const model = new Map<number, Uint8Array>();
  for (const [blockIndex, bitmap] of ops) {
    const clean = new Uint8Array(bitmapByteLength(sectorsPerBlock));
    for (let i = 0; i < sectorsPerBlock; i += 1) if (hasSector(bitmap, i)) clean[i >> 3] = (clean[i >> 3] ?? 0) | (1 << (i & 7));
    if (clean.some((byte) => byte !== 0)) model.set(blockIndex, clean);
    else model.delete(blockIndex);
  }
  return new Map([...model].sort(([a], [b]) => a - b));
}

function checkAgainstModel(map: SectorMap, model: Map<number, Uint8Array>, sectorsPerBlock: number): void {
  expect(new Map(map)).toEqual(model);
  expect([...map.keys()]).toEqual([...model.keys()]);
  expect(map.size).toBe(model.size);
  let sectors = 0;
  const wrong: number[] = [];
  for (const [blockIndex, bitmap] of model) {
    for (let i = 0; i < sectorsPerBlock; i += 1) {
      const marked = hasSector(bitmap, i);
      sectors += Number(marked);
      if (map.hasSector(blockIndex * sectorsPerBlock + i) !== marked) wrong.push(blockIndex * sectorsPerBlock + i);
    }
    // The sectors just around a mapped block are not mapped unless a neighbouring block is.
    const before = blockIndex * sectorsPerBlock - 1;
    const beforeBlock = Math.floor(before / sectorsPerBlock);
    if (before >= 0) expect(map.hasSector(before)).toBe(hasSector(model.get(beforeBlock) ?? new Uint8Array(8), before - beforeBlock * sectorsPerBlock));
  }
  expect(wrong).toEqual([]);
  expect(map.sectorCount).toBe(sectors);
  const end = Math.max(0, ...[...model.keys()].map((blockIndex) => (blockIndex + 1) * sectorsPerBlock));
  expect(map.countInRange(0, end)).toBe(sectors);
}

/** Block sizes in sectors: odd, byte-sized, page-straddling, the old 64 and the new 8. */
const sectorsPerBlockArb = fc.constantFrom(1, 3, 7, 8, 24, 64, 100, 1000);
const opsArb = (sectorsPerBlock: number) => {
  const pageBlocks = SECTORS_PER_PAGE / sectorsPerBlock;
  // Blocks near page boundaries, where off-by-one errors live, and anywhere on a 64-page disk.
  const blockIndexArb = fc.oneof(
    fc.integer({ min: 0, max: 5 }).chain((page) => fc.integer({ min: -2, max: 2 }).map((delta) => Math.max(0, Math.floor(page * pageBlocks) + delta))),
    fc.integer({ min: 0, max: Math.floor((64 * SECTORS_PER_PAGE) / sectorsPerBlock) }),
  );
  const bitmapArb = fc.uint8Array({ minLength: bitmapByteLength(sectorsPerBlock), maxLength: bitmapByteLength(sectorsPerBlock) });
  return fc.array(fc.tuple(blockIndexArb, bitmapArb), { maxLength: 30 });
};

function runOps(sectorsPerBlock: number, ops: readonly SetOp[]): void {
  const map = new SectorMap(sectorsPerBlock);
  for (const [blockIndex, bitmap] of ops) map.setBlock(blockIndex, bitmap);
  const model = modelOf(sectorsPerBlock, ops);
  checkAgainstModel(map, model, sectorsPerBlock);
  // The same map rebuilt from its pages (how a store loads it), and from pagesWithBlocks.
  const pages = new Map(map.pageIndices().map((pageIndex) => [pageIndex, map.page(pageIndex)!.slice()]));
  checkAgainstModel(new SectorMap(sectorsPerBlock, pages), model, sectorsPerBlock);
  checkAgainstModel(new SectorMap(sectorsPerBlock, pagesWithBlocks(sectorsPerBlock, ops)), model, sectorsPerBlock);
  // A clone is independent of the original.
  const clone = map.clone();
  map.setBlock(0, new Uint8Array(bitmapByteLength(sectorsPerBlock)).fill(0xff));
  checkAgainstModel(clone, model, sectorsPerBlock);
}

const full = (sectorsPerBlock: number) => new Uint8Array(bitmapByteLength(sectorsPerBlock)).fill(0xff);
const only = (sectorsPerBlock: number, sectorInBlock: number) => {
  const bitmap = new Uint8Array(bitmapByteLength(sectorsPerBlock));
  bitmap[sectorInBlock >> 3] = 1 << (sectorInBlock & 7);
  return bitmap;
};

/** Counter-examples worth keeping: the cases where block, byte and page boundaries disagree. */
const PINNED: Array<[title: string, sectorsPerBlock: number, ops: SetOp[]]> = [
  ['a 3-sector block straddling the first page boundary (sectors 4095..4097)', 3, [[1365, full(3)]]],
  ['its last sector alone, on the next page', 3, [[1365, only(3, 2)]]],
  ['a 1000-sector block over pages 0 and 1, then cleared', 1000, [[4, full(1000)], [4, new Uint8Array(125)]]],
  ['the last 4 KiB block of a page and the first of the next', 8, [[511, only(8, 7)], [512, only(8, 0)]]],
  ['bits past a 7-sector block in its last bitmap byte are ignored', 7, [[0, Uint8Array.of(0xff)]]],
  ['a 64-sector block replaced by a smaller set', 64, [[63, full(64)], [63, only(64, 63)]]],
];

describe('SectorMap against a per-block model', () => {
  it.each(PINNED)('pinned: %s', (_title, sectorsPerBlock, ops) => runOps(sectorsPerBlock, ops));

  it('agrees with the model for random block sizes and writes', () => {
    fc.assert(
      fc.property(sectorsPerBlockArb.chain((spb) => fc.tuple(fc.constant(spb), opsArb(spb))), ([sectorsPerBlock, ops]) => runOps(sectorsPerBlock, ops)),
      { numRuns: 300 },
    );
  });
});

describe('stores give back the map they were written', () => {
  const meta = (blockSizeBytes: number): LeafMeta => ({
    formatVersion: 1,
    root: { id: 'img', sizeBytes: 1 << 30, sha256: 'c'.repeat(64) },
    sectorSizeBytes: 512,
    blockSizeBytes,
    createdAt: 1,
  });

  it('MemoryLeafStore and IdbLeafStore agree with the model after a reopen', async () => {
    let workspace = 0;
    await fc.assert(
      fc.asyncProperty(
        sectorsPerBlockArb.chain((spb) => fc.tuple(fc.constant(spb), fc.array(opsArb(spb), { minLength: 1, maxLength: 4 }))),
        async ([sectorsPerBlock, transactions]) => {
          const blockSizeBytes = sectorsPerBlock * 512;
          const factory = new IDBFactory();
          const stores = [
            () => new IdbLeafStore({ imageId: 'img', storageId: `w${(workspace += 1)}`, indexedDB: factory }),
            () => new MemoryLeafStore(),
          ];
          for (const makeStore of stores) {
            const store = makeStore();
            await store.open();
            for (const [i, ops] of transactions.entries()) {
              // One record per block per transaction, as the journal writes (the last op of a block wins).
              const records = [...new Map(ops.map(([blockIndex, bitmap]) => [blockIndex, bitmap])).entries()].map(([blockIndex, validSectors]) => ({
                blockIndex,
                data: new Uint8Array(blockSizeBytes),
                validSectors,
              }));
              await store.writeBlocks(records, i === 0 ? meta(blockSizeBytes) : undefined);
            }
            const model = modelOf(sectorsPerBlock, transactions.flatMap((ops) => [...new Map(ops.map(([b, m]) => [b, m]))]));
            const reopened = store instanceof MemoryLeafStore ? new MemoryLeafStore(store.backing) : makeStoreLike(store as IdbLeafStore, factory);
            store.close();
            await reopened.open();
            checkAgainstModel(await reopened.loadSectorMap(sectorsPerBlock), model, sectorsPerBlock);
            reopened.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

function makeStoreLike(store: IdbLeafStore, factory: IDBFactory): IdbLeafStore {
  const storageId = store.databaseName.split(':').at(-1)!;
  return new IdbLeafStore({ imageId: 'img', storageId, indexedDB: factory });
}
