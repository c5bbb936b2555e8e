import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cellOfSector,
  cellSectorRange,
  granularities,
  makeView,
  panView,
  viewEndSector,
  wholeDiskSectorsPerCell,
  wholeDiskView,
  zoomAround,
  zoomIntoCell,
  type BlockMapView,
} from '@/lib/blockmap/view';

const DISK = 262_144; // 128 MiB

const diskArb = fc.record({ sectorCount: fc.integer({ min: 1, max: 2 ** 26 }), maxCells: fc.integer({ min: 1, max: 5000 }) });

function expectValid(view: BlockMapView, sectorCount: number, maxCells: number): void {
  const { firstSector, sectorsPerCell, cellCount } = view;
  expect(Number.isInteger(Math.log2(sectorsPerCell))).toBe(true);
  expect(sectorsPerCell).toBeLessThanOrEqual(wholeDiskSectorsPerCell(sectorCount, maxCells));
  expect(firstSector % sectorsPerCell).toBe(0);
  expect(firstSector).toBeGreaterThanOrEqual(0);
  expect(cellCount).toBeGreaterThan(0);
  expect(cellCount).toBeLessThanOrEqual(maxCells);
  // Every cell holds at least one sector of the disk, and the window is as full as the disk allows.
  expect(firstSector + (cellCount - 1) * sectorsPerCell).toBeLessThan(sectorCount);
  expect(cellCount).toBe(Math.min(maxCells, Math.ceil(sectorCount / sectorsPerCell)));
}

describe('block map view', () => {
  it('shows the whole 128 MiB disk in 2048 cells of 128 sectors (64 KiB)', () => {
    expect(wholeDiskView(DISK, 2048)).toEqual({ firstSector: 0, sectorsPerCell: 128, cellCount: 2048 });
    expect(granularities(DISK, 2048)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
    expect(wholeDiskView(1000, 2048)).toEqual({ firstSector: 0, sectorsPerCell: 1, cellCount: 1000 });
    expect(wholeDiskView(1000, 300)).toEqual({ firstSector: 0, sectorsPerCell: 4, cellCount: 250 });
  });

  it('makeView always returns a valid view, whatever it is asked for', () => {
    fc.assert(
      fc.property(diskArb, fc.integer({ min: -5, max: 2 ** 30 }), fc.double({ min: -1e9, max: 1e10, noNaN: true }), ({ sectorCount, maxCells }, spc, first) => {
        expectValid(makeView(sectorCount, maxCells, spc, first), sectorCount, maxCells);
      }),
    );
  });

  it('cells tile the window: each sector of it in exactly one cell, the last cell cut at the disk end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 64 }), fc.nat(), fc.nat(6), (sectorCount, maxCells, first, log2) => {
        const view = makeView(sectorCount, maxCells, 2 ** log2, first);
        let expected = view.firstSector;
        for (let cell = 0; cell < view.cellCount; cell += 1) {
          const [from, to] = cellSectorRange(view, sectorCount, cell)!;
          expect(from).toBe(expected);
          expect(to).toBeGreaterThan(from);
          expect(cellOfSector(view, from)).toBe(cell);
          expect(cellOfSector(view, to - 1)).toBe(cell);
          expected = to;
        }
        expect(expected).toBe(viewEndSector(view, sectorCount));
        expect(cellSectorRange(view, sectorCount, view.cellCount)).toBeUndefined();
        expect(cellOfSector(view, view.firstSector - 1)).toBeUndefined();
      }),
    );
  });

  it('zooming into a cell shows exactly its sectors from the start of the map, filling it on a big disk', () => {
    const whole = wholeDiskView(DISK, 2048);
    const zoomed = zoomIntoCell(whole, DISK, 2048, 100);
    expect(zoomed).toEqual({ firstSector: 100 * 128, sectorsPerCell: 1, cellCount: 2048 });
    const big = 2 ** 25; // 16 GiB: the cell's 16384 sectors fill the 2048 cells
    const bigZoomed = zoomIntoCell(wholeDiskView(big, 2048), big, 2048, 7);
    expect(bigZoomed).toEqual({ firstSector: 7 * 16384, sectorsPerCell: 8, cellCount: 2048 });
    // The last cell of the disk: the window moves back so that it stays full.
    const last = zoomIntoCell(whole, DISK, 2048, 2047);
    expect(last.sectorsPerCell).toBe(1);
    expect(viewEndSector(last, DISK)).toBe(DISK);
    expect(cellOfSector(last, 2047 * 128)).toBeDefined();
  });

  it('zooming around an anchor keeps the anchor in the window', () => {
    fc.assert(
      fc.property(diskArb, fc.nat(), fc.nat(26), fc.nat(), ({ sectorCount, maxCells }, first, log2, anchorSeed) => {
        const view = makeView(sectorCount, maxCells, 2 ** log2, first);
        const anchor = view.firstSector + (anchorSeed % (viewEndSector(view, sectorCount) - view.firstSector));
        for (const spc of granularities(sectorCount, maxCells)) {
          const zoomed = zoomAround(view, sectorCount, maxCells, spc, anchor);
          expectValid(zoomed, sectorCount, maxCells);
          expect(cellOfSector(zoomed, anchor)).toBeDefined();
        }
      }),
      { numRuns: 50 },
    );
  });

  it('pinned: rounding the window to a cell boundary does not drop the anchor (found by the property above)', () => {
    const zoomed = zoomAround(wholeDiskView(2, 1), 2, 1, 1, 1);
    expect(zoomed).toEqual({ firstSector: 1, sectorsPerCell: 1, cellCount: 1 });
  });

  it('pans a window at a time and stops at the ends of the disk', () => {
    const view = makeView(DISK, 2048, 1, 0);
    const next = panView(view, DISK, 2048, 1);
    expect(next.firstSector).toBe(2048);
    expect(panView(view, DISK, 2048, -1)).toEqual(view);
    const end = makeView(DISK, 2048, 1, DISK);
    expect(viewEndSector(end, DISK)).toBe(DISK);
    expect(panView(end, DISK, 2048, 1)).toEqual(end);
  });
});
