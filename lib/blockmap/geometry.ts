/**
 * Where things are on the block map's canvas, in CSS pixels: the cells in rows, left to right
 * in sector order, and the outline of a run of cells (a partition) as the rows fold it. Pure
 * functions of the canvas width and the
 * view, shared by the renderer (to draw), the component (to hit-test the pointer) and e2e
 * tests (which can compute a cell's position from the snapshot and the canvas's data-*
 * attributes, which the renderer sets from the same layout).
 *
 * The column count is a power of two, so a row is a round number of cells (64, 128...) and
 * rows of a view line up with leaf blocks and root chunks; the cells stretch to fill the width.
 */

export interface GridLayoutOptions {
  /** Cells are at least this wide (more columns would make them too small to point at). */
  minCellCss: number;
  /** ...and at most this wide (a tiny disk would otherwise have giant cells). */
  maxCellCss: number;
  /** Gap between cells. */
  gapCss: number;
}

export const GRID_LAYOUT_DEFAULTS: GridLayoutOptions = {
  minCellCss: 8,
  maxCellCss: 28,
  gapCss: 1,
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
  /** Top of the first row of cells (0 now; kept so hit-testing and tests never assume it). */
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
  const gridTopCss = 0;
  return {
    widthCss: width,
    heightCss: gridTopCss + rows * cellSizeCss,
    cellCount,
    columns,
    rows,
    cellSizeCss,
    gapCss: o.gapCss,
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
  const column = pitchIndex(xCss, layout.cellSizeCss);
  const row = pitchIndex(yCss - layout.gridTopCss, layout.cellSizeCss);
  if (column < 0 || column >= layout.columns || row < 0 || row >= layout.rows) return undefined;
  const cell = row * layout.columns + column;
  return cell < layout.cellCount ? cell : undefined;
}

/**
 * floor(offset / pitch), corrected to agree with `cellRect`, which places index i at i * pitch:
 * when the pitch is not exact in binary (71 / 3), the division can land just below a boundary
 * that the multiplication reaches, and the point at a cell's left edge would hit its neighbour.
 */
function pitchIndex(offsetCss: number, pitchCss: number): number {
  let index = Math.floor(offsetCss / pitchCss);
  if ((index + 1) * pitchCss <= offsetCss) index += 1;
  else if (index * pitchCss > offsetCss) index -= 1;
  return index;
}

/** The cell `delta` columns/rows away, clamped to the view (for arrow keys). */
export function moveCell(layout: GridLayout, cellIndex: number, deltaColumns: number, deltaRows: number): number {
  const target = cellIndex + deltaColumns + deltaRows * layout.columns;
  if (deltaRows !== 0 && (target < 0 || target >= layout.cellCount)) return cellIndex; // no wrap past the top or bottom
  return Math.min(layout.cellCount - 1, Math.max(0, target));
}

export interface PointCss {
  x: number;
  y: number;
}

/**
 * The outline of cells [fromCell, toCell) as the rows fold them: a rectangle when they sit in
 * one row, otherwise the staircase from the first cell to the end of its row, the full rows
 * between, and the last row up to the last cell (which can be two separate pieces when the
 * run wraps once and ends left of where it began). Traced clockwise; filled with the nonzero
 * rule it covers exactly those cells, so it serves as a clip to stroke inside the run.
 */
export function cellRunOutline(layout: GridLayout, fromCell: number, toCell: number): PointCss[] {
  const from = Math.max(0, Math.floor(fromCell));
  const to = Math.min(layout.cellCount, Math.ceil(toCell));
  if (to <= from) return [];
  const { columns, cellSizeCss: size, gridTopCss: top } = layout;
  const firstRow = Math.floor(from / columns);
  const firstColumn = from % columns;
  const lastRow = Math.floor((to - 1) / columns);
  const endColumn = ((to - 1) % columns) + 1;
  const x = (column: number) => column * size;
  const y = (row: number) => top + row * size;
  if (firstRow === lastRow) {
    return [
      { x: x(firstColumn), y: y(firstRow) },
      { x: x(endColumn), y: y(firstRow) },
      { x: x(endColumn), y: y(firstRow + 1) },
      { x: x(firstColumn), y: y(firstRow + 1) },
    ];
  }
  return [
    { x: x(firstColumn), y: y(firstRow) },
    { x: x(columns), y: y(firstRow) },
    { x: x(columns), y: y(lastRow) },
    { x: x(endColumn), y: y(lastRow) },
    { x: x(endColumn), y: y(lastRow + 1) },
    { x: x(0), y: y(lastRow + 1) },
    { x: x(0), y: y(firstRow + 1) },
    { x: x(firstColumn), y: y(firstRow + 1) },
  ];
}
