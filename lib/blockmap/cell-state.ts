/**
 * What one cell of the block map shows: where its sectors' data comes from now. A cell covers
 * many sectors, so it gets one state by precedence: any leaf sector is what the user cares
 * about most (their changes), then any sector still to be fetched (the cost of reading it),
 * then fetched root data, and a cell is "zero" only when all of it is all-zero root chunks.
 */
import type { SectorLayerCounts } from '../disk/sector-layer-counts';
import type { SectorLayer } from '../disk/union-device';

/** Cell states in code order: `CELL_STATES[code]` is the state of a cell with that code. */
export const CELL_STATES = ['root-remote', 'root-cached', 'zero', 'leaf-partial', 'leaf-full'] as const;
export type CellState = (typeof CELL_STATES)[number];

export const CELL_CODE = {
  'root-remote': 0,
  'root-cached': 1,
  zero: 2,
  'leaf-partial': 3,
  'leaf-full': 4,
} as const satisfies Record<CellState, number>;

/** One character per state, for the compact `cells` string of a map snapshot. */
export const CELL_STATE_CHARS: Record<CellState, string> = {
  'root-remote': 'r',
  'root-cached': 'c',
  zero: 'z',
  'leaf-partial': 'p',
  'leaf-full': 'f',
};

export const CELL_STATE_LABELS: Record<CellState, string> = {
  'root-remote': 'Root, not fetched yet',
  'root-cached': 'Root, fetched',
  zero: 'All-zero (never fetched)',
  'leaf-partial': 'Leaf, partly written',
  'leaf-full': 'Leaf, fully written',
};

/** What each layer of the union device means, for the hover card. */
export const SECTOR_LAYER_LABELS: Record<SectorLayer, string> = {
  pending: 'written, being saved',
  leaf: 'leaf (your changes)',
  frozen: 'checkpoint or published layer',
  zero: 'all-zero root chunk (never fetched)',
  'root-cached': 'root, fetched',
  root: 'root, not fetched yet',
};

/** The state code of a cell of `cellSectors` sectors with these layer counts. */
export function classifyCell(counts: SectorLayerCounts, cellSectors: number): number {
  const leafSectors = counts.leafSectors + counts.pendingSectors;
  if (leafSectors > 0) return leafSectors >= cellSectors ? CELL_CODE['leaf-full'] : CELL_CODE['leaf-partial'];
  if (counts.rootSectors > 0) return CELL_CODE['root-remote'];
  if (counts.rootCachedSectors > 0) return CELL_CODE['root-cached'];
  return CELL_CODE.zero;
}

export function cellStateOf(code: number): CellState {
  const state = CELL_STATES[code];
  if (state === undefined) throw new RangeError(`No cell state has code ${code}`);
  return state;
}

export interface LayerShare {
  layer: SectorLayer;
  label: string;
  sectors: number;
}

/** The layers serving a range, most sectors first, leaving out layers with none. */
export function layerBreakdown(counts: SectorLayerCounts): LayerShare[] {
  const shares: LayerShare[] = [
    { layer: 'pending', label: SECTOR_LAYER_LABELS.pending, sectors: counts.pendingSectors },
    { layer: 'leaf', label: SECTOR_LAYER_LABELS.leaf, sectors: counts.leafSectors },
    { layer: 'root', label: SECTOR_LAYER_LABELS.root, sectors: counts.rootSectors },
    { layer: 'root-cached', label: SECTOR_LAYER_LABELS['root-cached'], sectors: counts.rootCachedSectors },
    { layer: 'zero', label: SECTOR_LAYER_LABELS.zero, sectors: counts.zeroSectors },
  ];
  return shares.filter((share) => share.sectors > 0).sort((a, b) => b.sectors - a.sectors);
}
