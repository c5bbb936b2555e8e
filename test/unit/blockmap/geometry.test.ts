import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellAtPoint, cellRect, computeGridLayout, GRID_LAYOUT_DEFAULTS, moveCell, partitionSegments } from '@/lib/blockmap/geometry';
import { makeView, wholeDiskView } from '@/lib/blockmap/view';
import type { MbrPartition } from '@/lib/disk/mbr';

const layoutArb = fc.record({ widthCss: fc.integer({ min: 1, max: 4000 }), cellCount: fc.integer({ min: 1, max: 5000 }) });

describe('grid layout', () => {
  it('fills the width with a power-of-two number of columns of cells at least 8 CSS px wide', () => {
    const layout = computeGridLayout(800, 2048);
    expect(layout).toMatchObject({ columns: 64, rows: 32, cellSizeCss: 12.5, gridTopCss: 26 });
    expect(layout.heightCss).toBe(26 + 32 * 12.5);
    expect(computeGridLayout(1200, 2048)).toMatchObject({ columns: 128, cellSizeCss: 9.375, rows: 16 });
    // Few cells: one row, cells no wider than the maximum.
    expect(computeGridLayout(800, 5)).toMatchObject({ columns: 5, rows: 1, cellSizeCss: GRID_LAYOUT_DEFAULTS.maxCellCss });
  });

  it('point → cell is the inverse of cell → rectangle, for every point of a cell', () => {
    fc.assert(
      fc.property(layoutArb, fc.nat(), fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }), ({ widthCss, cellCount }, cellSeed, fx, fy) => {
        const layout = computeGridLayout(widthCss, cellCount);
        const cell = cellSeed % cellCount;
        const rect = cellRect(layout, cell)!;
        expect(rect.x + rect.width).toBeLessThanOrEqual(layout.widthCss + 1e-9);
        expect(rect.y + rect.height).toBeLessThanOrEqual(layout.heightCss + 1e-9);
        expect(cellAtPoint(layout, rect.x + fx * rect.width, rect.y + fy * rect.height)).toBe(cell);
      }),
    );
  });

  it('points off the cells hit nothing: the band, past the right edge, after the last cell, outside', () => {
    const layout = computeGridLayout(800, 100); // 64 columns, 2 rows: 36 cells in the second
    expect(cellAtPoint(layout, 10, 5)).toBeUndefined(); // in the partition band
    expect(cellAtPoint(layout, -1, 30)).toBeUndefined();
    expect(cellAtPoint(layout, 800, 30)).toBeUndefined();
    const lastRow = layout.gridTopCss + layout.cellSizeCss * 1.5;
    expect(cellAtPoint(layout, 35.5 * layout.cellSizeCss, lastRow)).toBe(99);
    expect(cellAtPoint(layout, 36.5 * layout.cellSizeCss, lastRow)).toBeUndefined();
    expect(cellAtPoint(layout, 10, layout.heightCss + 1)).toBeUndefined();
    expect(cellRect(layout, 100)).toBeUndefined();
    expect(cellRect(layout, -1)).toBeUndefined();
  });

  it('moves a selection by columns and rows, without wrapping past the top or the bottom', () => {
    const layout = computeGridLayout(800, 100); // 64 columns
    expect(moveCell(layout, 0, 1, 0)).toBe(1);
    expect(moveCell(layout, 0, -1, 0)).toBe(0);
    expect(moveCell(layout, 63, 1, 0)).toBe(64); // reading order continues on the next row
    expect(moveCell(layout, 10, 0, 1)).toBe(74);
    expect(moveCell(layout, 40, 0, 1)).toBe(40); // no cell below
    expect(moveCell(layout, 10, 0, -1)).toBe(10);
    expect(moveCell(layout, 99, 1, 0)).toBe(99);
  });
});

describe('partition band', () => {
  const partition = (index: 1 | 2 | 3 | 4, firstSector: number, sectorCount: number): MbrPartition => ({
    index,
    typeByte: 0x83,
    typeName: 'Linux',
    firstSector,
    sectorCount,
    endSector: firstSector + sectorCount,
    bootable: false,
    clipped: false,
  });

  it('lays the window out linearly over the grid width and cuts partitions at its edges', () => {
    const layout = computeGridLayout(1024, 1024); // 128 columns of 8 px
    const parts = [partition(1, 2048, 63_488), partition(2, 65_536, 196_608)];
    const whole = partitionSegments(layout, wholeDiskView(262_144, 1024), 262_144, parts);
    expect(whole.map((s) => [s.partition.index, s.x, s.width, s.startsInView, s.endsInView])).toEqual([
      [1, 8, 248, true, true],
      [2, 256, 768, true, true],
    ]);
    // Zoomed into the start of partition 2: partition 1 is out of the window, 2 runs past its end.
    const zoomed = partitionSegments(layout, makeView(262_144, 1024, 1, 65_000), 262_144, parts);
    expect(zoomed.map((s) => [s.partition.index, s.x, s.startsInView, s.endsInView])).toEqual([
      [1, 0, false, true],
      [2, 536, true, false],
    ]);
  });
});
