import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellAtPoint, cellRect, cellRunOutline, computeGridLayout, GRID_LAYOUT_DEFAULTS, moveCell, type PointCss } from '@/lib/blockmap/geometry';
import { cellsOfSectorRange, makeView, wholeDiskView } from '@/lib/blockmap/view';

const layoutArb = fc.record({ widthCss: fc.integer({ min: 1, max: 4000 }), cellCount: fc.integer({ min: 1, max: 5000 }) });

describe('grid layout', () => {
  it('fills the width with a power-of-two number of columns of cells at least 8 CSS px wide', () => {
    const layout = computeGridLayout(800, 2048);
    expect(layout).toMatchObject({ columns: 64, rows: 32, cellSizeCss: 12.5, gridTopCss: 0 });
    expect(layout.heightCss).toBe(32 * 12.5);
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

  it('pinned: the left edge of a cell whose pitch is not exact in binary hits that cell', () => {
    for (const widthCss of [71, 70, 77, 93]) {
      for (let cellCount = 1; cellCount < 12; cellCount += 1) {
        const layout = computeGridLayout(widthCss, cellCount);
        for (let cell = 0; cell < cellCount; cell += 1) {
          const rect = cellRect(layout, cell)!;
          expect(cellAtPoint(layout, rect.x, rect.y), `width ${widthCss}, ${cellCount} cells, cell ${cell}`).toBe(cell);
        }
      }
    }
  });

  it('points off the cells hit nothing: above, past the right edge, after the last cell, outside', () => {
    const layout = computeGridLayout(800, 100); // 64 columns, 2 rows: 36 cells in the second
    expect(cellAtPoint(layout, 10, -1)).toBeUndefined();
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

/** Nonzero winding number of a polygon around a point (the rule canvas clips and fills with). */
function windingNumber(polygon: PointCss[], x: number, y: number): number {
  let winding = 0;
  polygon.forEach((a, index) => {
    const b = polygon[(index + 1) % polygon.length]!;
    const side = (b.x - a.x) * (y - a.y) - (x - a.x) * (b.y - a.y);
    if (a.y <= y && b.y > y && side > 0) winding += 1;
    else if (a.y > y && b.y <= y && side < 0) winding -= 1;
  });
  return winding;
}

describe('partition outlines', () => {
  it('an outline covers exactly the cells of its run, however the rows fold it', () => {
    fc.assert(
      fc.property(layoutArb, fc.nat(), fc.nat(), ({ widthCss, cellCount }, aSeed, bSeed) => {
        const layout = computeGridLayout(widthCss, cellCount);
        const a = aSeed % (cellCount + 1);
        const b = bSeed % (cellCount + 1);
        const [fromCell, toCell] = [Math.min(a, b), Math.max(a, b)];
        const outline = cellRunOutline(layout, fromCell, toCell);
        if (toCell === fromCell) expect(outline).toEqual([]);
        for (let cell = 0; cell < cellCount; cell += 1) {
          const rect = cellRect(layout, cell)!;
          const inside = windingNumber(outline, rect.x + rect.width / 2, rect.y + rect.height / 2) !== 0;
          if (inside !== (cell >= fromCell && cell < toCell)) throw new Error(`cell ${cell} of run [${fromCell}, ${toCell}): inside=${inside}`);
        }
      }),
    );
  });

  it('pinned: one row is a rectangle; a run that wraps once and ends left of its start is two pieces', () => {
    const layout = computeGridLayout(80, 20); // 8 columns of 10 px, 3 rows
    expect(cellRunOutline(layout, 2, 5)).toEqual([
      { x: 20, y: 0 },
      { x: 50, y: 0 },
      { x: 50, y: 10 },
      { x: 20, y: 10 },
    ]);
    const wrapped = cellRunOutline(layout, 6, 10); // cells 6, 7 | 8, 9
    expect(windingNumber(wrapped, 65, 5)).not.toBe(0);
    expect(windingNumber(wrapped, 15, 15)).not.toBe(0);
    expect(windingNumber(wrapped, 35, 5)).toBe(0);
    expect(windingNumber(wrapped, 35, 15)).toBe(0);
  });

  it('a partition covers every cell holding any of its sectors, cut at the window edges', () => {
    const whole = wholeDiskView(262_144, 1024); // 256 sectors per cell
    expect(cellsOfSectorRange(whole, 2048, 65_536)).toEqual({ fromCell: 8, toCell: 256 });
    expect(cellsOfSectorRange(whole, 2000, 2100)).toEqual({ fromCell: 7, toCell: 9 }); // straddles a cell edge
    const zoomed = makeView(262_144, 1024, 1, 65_000); // sectors 65,000–66,023, one per cell
    expect(cellsOfSectorRange(zoomed, 2048, 65_536)).toEqual({ fromCell: 0, toCell: 536 });
    expect(cellsOfSectorRange(zoomed, 65_536, 262_144)).toEqual({ fromCell: 536, toCell: 1024 });
    expect(cellsOfSectorRange(zoomed, 0, 2048)).toBeUndefined();
  });
});
