/**
 * Where things are on the block map's canvas, in CSS pixels: a band of partitions on top, then
 * the cells in rows, left to right in sector order. Pure functions of the canvas width and the
 * view, shared by the renderer (to draw), the component (to hit-test the pointer) and e2e
 * tests (which can compute a cell's position from the snapshot and the canvas's data-*
 * attributes, which the renderer sets from the same layout).
 *
 * The column count is a power of two, so a row is a round number of cells (64, 128...) and
 * rows of a view line up with leaf blocks and root chunks; the cells stretch to fill the width.
 */
import type { MbrPartition } from '../disk/mbr';
import type { BlockMapView } from './view';

export interface GridLayoutOptions {
  /** Cells are at least this wide (more columns would make them too small to point at). */
  minCellCss: number;
  /** ...and at most this wide (a tiny disk would otherwise have giant cells). */
  maxCellCss: number;
  /** Gap between cells. */
  gapCss: number;
  /** Height of the partition band above the cells, and the space under it. */
  bandHeightCss: number;
  bandGapCss: number;
}

export const GRID_LAYOUT_DEFAULTS: GridLayoutOptions = {
  minCellCss: 8,
  maxCellCss: 28,
  gapCss: 1,
  bandHeightCss: 20,
  bandGapCss: 6,
};

export interface GridLayout {
  widthCss: number;
  heightCss: number;
  cellCount: number;
  columns: number;
  rows: number;
  /** Cell pitch (cells are square; the drawn square is the pitch minus the gap). */
  cellSizeCss: number;
  gapCss: number;
  bandHeightCss: number;
  /** Top of the first row of cells. */
  gridTopCss: number;
}

export interface RectCss {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function computeGridLayout(widthCss: number, cellCount: number, options: Partial<GridLayoutOptions> = {}): GridLayout {
  const o = { ...GRID_LAYOUT_DEFAULTS, ...options };
  const width = Math.max(1, widthCss);
  let columns = 1;
  while (columns * 2 <= width / o.minCellCss) columns *= 2;
  columns = Math.max(1, Math.min(columns, cellCount));
  const cellSizeCss = Math.min(o.maxCellCss, width / columns);
  const rows = Math.ceil(cellCount / columns);
  const gridTopCss = o.bandHeightCss + o.bandGapCss;
  return {
    widthCss: width,
    heightCss: gridTopCss + rows * cellSizeCss,
    cellCount,
    columns,
    rows,
    cellSizeCss,
    gapCss: o.gapCss,
    bandHeightCss: o.bandHeightCss,
    gridTopCss,
  };
}

/** The full pitch square of a cell (the drawn square leaves `gapCss` at its right and bottom). */
export function cellRect(layout: GridLayout, cellIndex: number): RectCss | undefined {
  if (!Number.isInteger(cellIndex) || cellIndex < 0 || cellIndex >= layout.cellCount) return undefined;
  const column = cellIndex % layout.columns;
  const row = Math.floor(cellIndex / layout.columns);
  return {
    x: column * layout.cellSizeCss,
    y: layout.gridTopCss + row * layout.cellSizeCss,
    width: layout.cellSizeCss,
    height: layout.cellSizeCss,
  };
}

/** The cell under a point (gaps belong to the cell on their left/top), or undefined off the cells. */
export function cellAtPoint(layout: GridLayout, xCss: number, yCss: number): number | undefined {
  const column = Math.floor(xCss / layout.cellSizeCss);
  const row = Math.floor((yCss - layout.gridTopCss) / layout.cellSizeCss);
  if (column < 0 || column >= layout.columns || row < 0 || row >= layout.rows) return undefined;
  const cell = row * layout.columns + column;
  return cell < layout.cellCount ? cell : undefined;
}

/** The cell `delta` columns/rows away, clamped to the view (for arrow keys). */
export function moveCell(layout: GridLayout, cellIndex: number, deltaColumns: number, deltaRows: number): number {
  const target = cellIndex + deltaColumns + deltaRows * layout.columns;
  if (deltaRows !== 0 && (target < 0 || target >= layout.cellCount)) return cellIndex; // no wrap past the top or bottom
  return Math.min(layout.cellCount - 1, Math.max(0, target));
}

export interface PartitionSegment {
  partition: MbrPartition;
  /** Position in the band: the view's sectors spread linearly over the canvas width. */
  x: number;
  width: number;
  /** The partition starts (ends) inside the window, not before (after) it. */
  startsInView: boolean;
  endsInView: boolean;
}

/**
 * The band above the grid: the window's sector range laid out linearly across the width, with
 * each partition's part of it. The grid wraps rows, the band does not: it reads like a ruler.
 */
export function partitionSegments(
  layout: GridLayout,
  view: BlockMapView,
  sectorCount: number,
  partitions: readonly MbrPartition[],
): PartitionSegment[] {
  const first = view.firstSector;
  const end = Math.min(sectorCount, first + view.cellCount * view.sectorsPerCell);
  const gridWidthCss = Math.min(layout.widthCss, layout.columns * layout.cellSizeCss);
  const scale = gridWidthCss / Math.max(1, end - first);
  const segments: PartitionSegment[] = [];
  for (const partition of partitions) {
    const from = Math.max(first, partition.firstSector);
    const to = Math.min(end, partition.endSector);
    if (to <= from) continue;
    segments.push({
      partition,
      x: (from - first) * scale,
      width: (to - from) * scale,
      startsInView: partition.firstSector >= first,
      endsInView: partition.endSector <= end,
    });
  }
  return segments;
}
