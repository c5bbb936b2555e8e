/**
 * Which part of the disk the map shows, and how coarsely: `sectorsPerCell` is a power of two
 * from 1 up to the granularity at which the whole disk fits in `maxCells` cells, and the
 * window starts at a cell boundary (`firstSector` is a multiple of `sectorsPerCell`). Powers
 * of two keep cells on block and chunk boundaries, so a cell never straddles half a 32 KiB
 * leaf block, and every zoom step lines up with the previous one.
 */
export interface BlockMapView {
  readonly firstSector: number;
  readonly sectorsPerCell: number;
  readonly cellCount: number;
}

/** The smallest power of two at which `sectorCount` sectors fit in `maxCells` cells. */
export function wholeDiskSectorsPerCell(sectorCount: number, maxCells: number): number {
  let sectorsPerCell = 1;
  while (Math.ceil(sectorCount / sectorsPerCell) > maxCells) sectorsPerCell *= 2;
  return sectorsPerCell;
}

/** Every granularity the map offers, finest first; the last one shows the whole disk. */
export function granularities(sectorCount: number, maxCells: number): number[] {
  const result: number[] = [];
  const coarsest = wholeDiskSectorsPerCell(sectorCount, maxCells);
  for (let sectorsPerCell = 1; sectorsPerCell <= coarsest; sectorsPerCell *= 2) result.push(sectorsPerCell);
  return result;
}

/**
 * A valid view near the one asked for: granularity rounded down to a power of two and clamped
 * to [1, whole disk], the window aligned down to a cell boundary and moved back inside the
 * disk, as full of cells as the disk allows.
 */
export function makeView(sectorCount: number, maxCells: number, sectorsPerCell: number, firstSector: number): BlockMapView {
  if (!Number.isSafeInteger(sectorCount) || sectorCount <= 0) throw new RangeError(`Block map: the disk has ${sectorCount} sectors`);
  if (!Number.isSafeInteger(maxCells) || maxCells <= 0) throw new RangeError(`Block map: maxCells must be positive, got ${maxCells}`);
  const coarsest = wholeDiskSectorsPerCell(sectorCount, maxCells);
  let spc = 1;
  while (spc * 2 <= Math.min(Math.max(1, sectorsPerCell), coarsest)) spc *= 2;
  const totalCells = Math.ceil(sectorCount / spc);
  const cellCount = Math.min(maxCells, totalCells);
  const wantedCell = Math.floor(Math.max(0, Number.isFinite(firstSector) ? firstSector : 0) / spc);
  const firstCell = Math.min(wantedCell, totalCells - cellCount);
  return { firstSector: firstCell * spc, sectorsPerCell: spc, cellCount };
}

export function wholeDiskView(sectorCount: number, maxCells: number): BlockMapView {
  return makeView(sectorCount, maxCells, wholeDiskSectorsPerCell(sectorCount, maxCells), 0);
}

/** Sectors the window covers, up to the end of the disk (the last cell may be short). */
export function viewEndSector(view: BlockMapView, sectorCount: number): number {
  return Math.min(sectorCount, view.firstSector + view.cellCount * view.sectorsPerCell);
}

/** [firstSector, endSector) of a cell, or undefined outside the view. */
export function cellSectorRange(view: BlockMapView, sectorCount: number, cellIndex: number): [number, number] | undefined {
  if (!Number.isInteger(cellIndex) || cellIndex < 0 || cellIndex >= view.cellCount) return undefined;
  const first = view.firstSector + cellIndex * view.sectorsPerCell;
  return [first, Math.min(sectorCount, first + view.sectorsPerCell)];
}

/** The cell showing `sector`, or undefined when the sector is outside the window. */
export function cellOfSector(view: BlockMapView, sector: number): number | undefined {
  const cell = Math.floor((sector - view.firstSector) / view.sectorsPerCell);
  return cell >= 0 && cell < view.cellCount ? cell : undefined;
}

/**
 * The cells [fromCell, toCell) showing any of sectors [firstSector, endSector), or undefined
 * when none is in the window. A cell only partly in the range counts (a partition that starts
 * mid-cell is drawn from that cell on).
 */
export function cellsOfSectorRange(
  view: BlockMapView,
  firstSector: number,
  endSector: number,
): { fromCell: number; toCell: number } | undefined {
  const fromCell = Math.max(0, Math.floor((firstSector - view.firstSector) / view.sectorsPerCell));
  const toCell = Math.min(view.cellCount, Math.ceil((endSector - view.firstSector) / view.sectorsPerCell));
  return toCell > fromCell ? { fromCell, toCell } : undefined;
}

/**
 * The view at another granularity that keeps `anchorSector` where it was on the map (same
 * fraction of the window), so zooming with the select or the buttons stays on the region
 * the user was looking at.
 */
export function zoomAround(
  view: BlockMapView,
  sectorCount: number,
  maxCells: number,
  sectorsPerCell: number,
  anchorSector: number,
): BlockMapView {
  const oldWindowSectors = view.cellCount * view.sectorsPerCell;
  const fraction = Math.min(1, Math.max(0, (anchorSector - view.firstSector) / oldWindowSectors));
  const { sectorsPerCell: spc, cellCount } = makeView(sectorCount, maxCells, sectorsPerCell, 0);
  // In cells, so that rounding to a cell boundary can never push the anchor out of the window.
  const anchorCell = Math.floor(anchorSector / spc);
  const wantedCell = Math.floor((anchorSector - fraction * cellCount * spc) / spc);
  const firstCell = Math.min(anchorCell, Math.max(anchorCell - cellCount + 1, wantedCell));
  return makeView(sectorCount, maxCells, spc, firstCell * spc);
}

/**
 * Zooms into one cell: the finest granularity at which the cell's sectors still fit in the
 * map, the window starting at the cell. On a big disk its region then fills the map; on a
 * small one it reaches one sector per cell first.
 */
export function zoomIntoCell(view: BlockMapView, sectorCount: number, maxCells: number, cellIndex: number): BlockMapView {
  const range = cellSectorRange(view, sectorCount, cellIndex);
  if (!range) return view;
  const [first, end] = range;
  return makeView(sectorCount, maxCells, wholeDiskSectorsPerCell(end - first, maxCells), first);
}

/** The next window towards the end (+1) or the start (-1) of the disk, same granularity. */
export function panView(view: BlockMapView, sectorCount: number, maxCells: number, direction: 1 | -1): BlockMapView {
  const windowSectors = view.cellCount * view.sectorsPerCell;
  return makeView(sectorCount, maxCells, view.sectorsPerCell, view.firstSector + direction * windowSectors);
}

export function sameView(a: BlockMapView, b: BlockMapView): boolean {
  return a.firstSector === b.firstSector && a.sectorsPerCell === b.sectorsPerCell && a.cellCount === b.cellCount;
}
