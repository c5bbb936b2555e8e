/**
 * BlockMapModel over a real UnionDevice (in-memory leaf, a root whose chunk layers the test
 * sets). The map's cells must say what a per-sector walk over layerOfSector says; I/O must
 * cost O(1) and never recompute; recomputation is throttled, frozen by pause, and the
 * partition table follows writes to sector 0 without ever costing the guest a fetch.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CELL_CODE, CELL_STATE_CHARS, CELL_STATES, type CellState } from '@/lib/blockmap/cell-state';
import { BlockMapModel, type BlockMapModelOptions } from '@/lib/blockmap/model';
import { cellSectorRange } from '@/lib/blockmap/view';
import type { RootLayer } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';
import { LayeredRoot } from '../disk/helpers/layered-root';
import { memoryLeaf } from '../disk/helpers/stores';

const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Sector 0 with a partition table: FAT16 (LBA) bootable from 8, Linux after it. */
function mbrBytes(sectorCount: number, linuxStart = 64): Uint8Array {
  const sector = new Uint8Array(512);
  const view = new DataView(sector.buffer);
  const entry = (i: number, status: number, type: number, first: number, count: number) => {
    const at = 446 + i * 16;
    view.setUint8(at, status);
    view.setUint8(at + 4, type);
    view.setUint32(at + 8, first, true);
    view.setUint32(at + 12, count, true);
  };
  entry(0, 0x80, 0x0e, 8, linuxStart - 8);
  entry(1, 0, 0x83, linuxStart, sectorCount - linuxStart);
  sector.set([0x55, 0xaa], 510);
  return sector;
}

interface Setup {
  sectorCount?: number;
  chunkSizeBytes?: number;
  layers?: RootLayer[];
  withMbr?: boolean;
  model?: BlockMapModelOptions;
}

async function setup({ sectorCount = 256, chunkSizeBytes = 4096, layers = ['cached'], withMbr = true, model = {} }: Setup = {}) {
  const bytes = new Uint8Array(sectorCount * 512);
  if (withMbr) bytes.set(mbrBytes(sectorCount));
  const root = new LayeredRoot(sectorCount * 512, chunkSizeBytes, layers, bytes);
  const rootIdentity = { id: 'map', sizeBytes: root.sizeBytes, sha256: 'd'.repeat(64) };
  const device = await UnionDevice.open({ root, rootIdentity, store: memoryLeaf().openStore(), blockSizeBytes: 4096 });
  let clockMs = 0;
  const clock = {
    set: (ms: number) => {
      clockMs = ms;
    },
    now: () => clockMs,
  };
  const blockMap = new BlockMapModel(device, { now: clock.now, ...model });
  return { device, root, blockMap, clock };
}

/** The reference classification of one cell: a per-sector walk over layerOfSector. */
function expectedCell(device: UnionDevice, first: number, end: number): { state: CellState; leafSectors: number } {
  let leaf = 0;
  let remote = 0;
  let cached = 0;
  for (let sector = first; sector < end; sector += 1) {
    const layer = device.layerOfSector(sector);
    if (layer === 'leaf' || layer === 'pending') leaf += 1;
    else if (layer === 'root') remote += 1;
    else if (layer === 'root-cached') cached += 1;
  }
  const state: CellState =
    leaf === end - first ? 'leaf-full' : leaf > 0 ? 'leaf-partial' : remote > 0 ? 'root-remote' : cached > 0 ? 'root-cached' : 'zero';
  return { state, leafSectors: leaf };
}

function expectedCells(device: UnionDevice, blockMap: BlockMapModel): { cells: string; leafSectors: number[] } {
  let cells = '';
  const leafSectors: number[] = [];
  for (let cell = 0; cell < blockMap.view.cellCount; cell += 1) {
    const [first, end] = cellSectorRange(blockMap.view, blockMap.sectorCount, cell)!;
    const expected = expectedCell(device, first, end);
    cells += CELL_STATE_CHARS[expected.state];
    leafSectors.push(expected.leafSectors);
  }
  return { cells, leafSectors };
}

describe('BlockMapModel cells', () => {
  it('match a per-sector walk over layerOfSector, at any granularity and window (random disks)', async () => {
    const layerArb = fc.constantFrom<RootLayer>('zero', 'cached', 'remote');
    const writeArb = fc.record({ sector: fc.nat(), sectors: fc.integer({ min: 1, max: 40 }), awaited: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          sectorCount: fc.integer({ min: 1, max: 400 }),
          chunkSizeBytes: fc.constantFrom(512, 1024, 4096, 3000),
          layers: fc.array(layerArb, { minLength: 1, maxLength: 9 }),
          writes: fc.array(writeArb, { maxLength: 12 }),
          maxCells: fc.integer({ min: 1, max: 300 }),
          log2: fc.nat(9),
          first: fc.nat(),
        }),
        async ({ sectorCount, chunkSizeBytes, layers, writes, maxCells, log2, first }) => {
          const { device, blockMap } = await setup({ sectorCount, chunkSizeBytes, layers, withMbr: false, model: { maxCells } });
          const pending: Array<Promise<void>> = [];
          for (const write of writes) {
            const sector = write.sector % sectorCount;
            const done = device.write(sector * 512, new Uint8Array(Math.min(write.sectors, sectorCount - sector) * 512));
            if (write.awaited) await done;
            else pending.push(done);
          }
          blockMap.showSectors(first % sectorCount, 2 ** log2);
          const snapshot = blockMap.snapshot();
          const expected = expectedCells(device, blockMap);
          expect(snapshot.cells).toBe(expected.cells);
          expect([...blockMap.cellLeafSectors]).toEqual(expected.leafSectors);
          expect(snapshot.leafSectorsInView).toBe(expected.leafSectors.reduce((a, b) => a + b, 0));
          await Promise.all(pending);
          expect(blockMap.snapshot().cells).toBe(expectedCells(device, blockMap).cells);
          blockMap.dispose();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('shows the state precedence: any leaf sector, then not fetched, then fetched, then zero', async () => {
    // 8 cells of 32 sectors; chunks of 16 sectors: cell c holds chunks 2c and 2c+1.
    const layers: RootLayer[] = ['zero', 'zero', 'cached', 'zero', 'remote', 'cached', 'remote', 'remote', 'cached', 'cached', 'zero', 'zero'];
    const { device, blockMap } = await setup({ sectorCount: 256, chunkSizeBytes: 8192, layers, withMbr: false, model: { maxCells: 8 } });
    await device.write(32 * 6 * 512, new Uint8Array(32 * 512)); // cell 6 fully written
    await device.write(32 * 7 * 512, new Uint8Array(512)); // one sector of cell 7
    expect(blockMap.view).toEqual({ firstSector: 0, sectorsPerCell: 32, cellCount: 8 });
    const { cells, stateCounts } = blockMap.snapshot();
    expect(cells).toBe('zcrrczfp');
    expect(stateCounts).toEqual({ 'root-remote': 2, 'root-cached': 2, zero: 2, 'leaf-partial': 1, 'leaf-full': 1 });
    expect(blockMap.cellStates[6]).toBe(CELL_CODE['leaf-full']);
    expect(blockMap.cellLeafSectors[7]).toBe(1);
  });
});

describe('BlockMapModel and the guest I/O path', () => {
  it('records each I/O in O(1): a flash, no recomputation and no layer query until the next frame', async () => {
    const { device, blockMap, clock } = await setup({ model: { flashCapacity: 64 } });
    blockMap.refresh(0);
    const counts = vi.spyOn(device, 'sectorLayerCounts');
    const layerOf = vi.spyOn(device, 'layerOfSector');
    clock.set(5);
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 500; i += 1) writes.push(device.write(((i % 200) + 10) * 512, new Uint8Array(512)));
    await device.read(100 * 512, 4096);
    expect(counts).not.toHaveBeenCalled();
    expect(layerOf).not.toHaveBeenCalled();
    expect(blockMap.flashes.size).toBe(64);
    const flashes: unknown[] = [];
    blockMap.flashes.forEachNewest((kind, first, end, time) => void flashes.push([kind, first, end, time]));
    expect(flashes[0]).toEqual(['read', 100, 108, 5]);
    expect(flashes[1]).toEqual(['write', 109, 110, 5]); // the last write: sector (499 % 200) + 10
    expect(blockMap.snapshot().ioSeen).toEqual({ reads: 1, writes: 500 });
    await Promise.all(writes);
  });

  it('recomputes at most every 100 ms, while I/O settles, then only on the 1 s heartbeat', async () => {
    const { device, blockMap, clock } = await setup({ model: { maxCells: 16 } });
    expect(blockMap.refresh(0)).toBe(true); // the first frame
    expect(blockMap.refresh(50)).toBe(false);
    expect(blockMap.refresh(500)).toBe(false); // nothing happened
    clock.set(600);
    await device.write(0, new Uint8Array(512));
    expect(blockMap.refresh(650)).toBe(true); // 650 ms since the last computation
    expect(blockMap.refresh(700)).toBe(false); // throttled
    expect(blockMap.refresh(750)).toBe(true); // the I/O is still settling (until 2600)
    expect(blockMap.refresh(2650)).toBe(true); // last computation before the end of the window
    expect(blockMap.refresh(2800)).toBe(false); // settled
    expect(blockMap.refresh(3600)).toBe(false);
    expect(blockMap.refresh(3650)).toBe(true); // heartbeat: e.g. root chunks evicted without I/O
    const version = blockMap.version;
    blockMap.zoomBy(4); // a new view recomputes at once, throttle or not
    expect(blockMap.refresh(3651)).toBe(true);
    expect(blockMap.version).toBe(version + 1);
  });

  it('pause freezes the cells (the drawing) while I/O is still counted; resume catches up', async () => {
    const { device, blockMap } = await setup({ model: { maxCells: 32 } }); // 8 sectors per cell
    const before = blockMap.snapshot().cells;
    const listener = vi.fn();
    blockMap.subscribe(listener);
    blockMap.pause();
    expect(listener).toHaveBeenCalledTimes(1);
    await device.write(8 * 20 * 512, new Uint8Array(8 * 512));
    expect(blockMap.refresh(10_000)).toBe(false);
    expect(blockMap.snapshot()).toMatchObject({ paused: true, cells: before, ioSeen: { reads: 0, writes: 1 } });
    expect(blockMap.layerOf(160)).toBe('leaf'); // the device itself is live
    blockMap.resume();
    const after = blockMap.snapshot();
    expect(after.paused).toBe(false);
    expect(after.cells[20]).toBe('f');
  });
});

describe('BlockMapModel partitions', () => {
  it('reads the partition table at start when sector 0 is in memory, and again after a write to it', async () => {
    const { device, blockMap } = await setup({ sectorCount: 256 });
    await flushMicrotasks();
    expect(blockMap.snapshot().partitions).toEqual([
      { index: 1, typeByte: 0x0e, typeName: 'FAT16 (LBA)', firstSector: 8, sectorCount: 56, bootable: true, clipped: false },
      { index: 2, typeByte: 0x83, typeName: 'Linux', firstSector: 64, sectorCount: 192, bootable: false, clipped: false },
    ]);
    const listener = vi.fn();
    blockMap.subscribe(listener);
    const peek = vi.spyOn(device, 'peek');
    await device.write(0, mbrBytes(256, 128)); // fdisk in the guest moves partition 2
    blockMap.refresh();
    await flushMicrotasks();
    expect(peek).toHaveBeenCalledTimes(1);
    expect(blockMap.snapshot().partitions.map((p) => p.firstSector)).toEqual([8, 128]);
    expect(listener).toHaveBeenCalled();
    expect(device.counters.reads).toBe(0); // the map's own reads are not the guest's

    await device.write(0, new Uint8Array(512)); // the table wiped
    blockMap.refresh();
    await flushMicrotasks();
    expect(blockMap.snapshot()).toMatchObject({ partitions: [], mbrProblem: expect.stringMatching(/0x55AA/) });
  });

  it('never fetches sector 0 itself: it waits for the guest to read it', async () => {
    const { device, root, blockMap } = await setup({ layers: ['remote'] });
    const peek = vi.spyOn(device, 'peek');
    blockMap.refresh();
    await flushMicrotasks();
    expect(peek).not.toHaveBeenCalled();
    expect(blockMap.snapshot().partitions).toEqual([]);
    expect(blockMap.snapshot().mbrProblem).toBeNull(); // not read yet is not "no table"
    await device.read(0, 512); // the BIOS reads sector 0; its chunk is now cached
    root.layers[0] = 'cached';
    blockMap.refresh();
    await flushMicrotasks();
    expect(peek).toHaveBeenCalledTimes(1);
    expect(blockMap.snapshot().partitions).toHaveLength(2);
  });
});

describe('BlockMapModel hover card, view and automation', () => {
  it('describes a cell: sectors, bytes, partitions, layers and leaf sectors', async () => {
    const { device, blockMap } = await setup({ sectorCount: 256, model: { maxCells: 16 } }); // 16 sectors per cell
    await flushMicrotasks();
    await device.write(60 * 512, new Uint8Array(3 * 512)); // sectors 60-62, in cell 3
    const info = blockMap.cellInfo(3)!;
    expect(info).toMatchObject({
      cellIndex: 3,
      firstSector: 48,
      lastSector: 63,
      sectorCount: 16,
      firstByte: 48 * 512,
      lastByte: 64 * 512 - 1,
      partitions: ['#1 FAT16 (LBA)'],
      state: 'leaf-partial',
      leafSectors: 3,
      layers: { leafSectors: 3, pendingSectors: 0, rootCachedSectors: 13, zeroSectors: 0, rootSectors: 0 },
    });
    expect(info.servedBy.map((share) => [share.layer, share.sectors])).toEqual([
      ['root-cached', 13],
      ['leaf', 3],
    ]);
    expect(blockMap.cellInfo(4)!.partitions).toEqual(['#2 Linux']);
    expect(blockMap.cellInfo(0)!.partitions).toEqual(['#1 FAT16 (LBA)']); // sectors 0-15 hold its start
    expect(blockMap.cellInfo(16)).toBeUndefined();
  });

  it('zooms, pans and goes back to the whole disk, telling subscribers with a new UI state each time', async () => {
    const { blockMap } = await setup({ sectorCount: 4096, model: { maxCells: 256 } }); // whole disk: 16 sectors per cell
    const listener = vi.fn();
    blockMap.subscribe(listener);
    const initial = blockMap.getUiState();
    expect(blockMap.getUiState()).toBe(initial); // stable while nothing changes
    expect(initial.granularities).toEqual([1, 2, 4, 8, 16]);

    blockMap.zoomIntoCell(10);
    expect(blockMap.view).toEqual({ firstSector: 160, sectorsPerCell: 1, cellCount: 256 });
    blockMap.pan(1);
    expect(blockMap.view.firstSector).toBe(416);
    blockMap.setGranularity(4, 500);
    expect(blockMap.view.sectorsPerCell).toBe(4);
    expect(blockMap.cellOfSector(500)).toBeDefined();
    blockMap.showWholeDisk();
    expect(blockMap.view).toEqual({ firstSector: 0, sectorsPerCell: 16, cellCount: 256 });
    expect(listener).toHaveBeenCalledTimes(4);
    expect(blockMap.getUiState()).not.toBe(initial);
    blockMap.showWholeDisk(); // no change, no notification
    expect(listener).toHaveBeenCalledTimes(4);
  });

  it('gives a plain-JSON snapshot and answers layerOf for the automation hook', async () => {
    const { device, blockMap } = await setup({ sectorCount: 256, model: { maxCells: 64 } });
    await flushMicrotasks();
    await device.write(0, mbrBytes(256));
    const snapshot = blockMap.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot).toMatchObject({ sectorCount: 256, firstSector: 0, sectorsPerCell: 4, cellCount: 64, maxCells: 64, paused: false });
    expect(snapshot.cells).toHaveLength(64);
    expect(snapshot.cells[0]).toBe('p'); // sector 0 of 0-3 written
    expect(Object.keys(snapshot.cellKey).sort()).toEqual(CELL_STATES.map((s) => CELL_STATE_CHARS[s]).sort());
    expect(blockMap.layerOf(0)).toBe('leaf');
    expect(blockMap.layerOf(1)).toBe('root-cached');
    expect(() => blockMap.layerOf(256)).toThrow(RangeError);
    expect(() => blockMap.layerOf(-1)).toThrow(RangeError);
  });

  it('stops listening to the device when disposed', async () => {
    const { device, blockMap } = await setup();
    blockMap.dispose();
    await device.write(0, new Uint8Array(512));
    expect(blockMap.flashes.size).toBe(0);
    expect(blockMap.refresh(10_000)).toBe(false);
  });
});
