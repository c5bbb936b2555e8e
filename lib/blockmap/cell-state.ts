/**
 * What one cell of the block map shows: where its sectors' data comes from now. A cell covers
 * many sectors, so it gets one state by precedence: any leaf sector is what the user cares
 * about most (their changes), then any sector a frozen layer of the chain serves (earlier
 * changes: checkpoints, published layers), the topmost such layer naming the cell as it is
 * the newest (the same top-down order reads resolve in), then any sector still to be fetched
 * (the cost of reading it), then fetched root data, and a cell is "zero" only when all of it
 * is all-zero root chunks.
 *
 * Cell codes stay small numbers (a typed array per view): the five fixed states are codes
 * 0-4, and chain layer number k (bottom = 1) is code 4 + k. In a snapshot's `cells` string a
 * cell is one character: the fixed states' lower-case letters, and for layer k '1'-'9' (k 1-9),
 * 'A'-'Z' (k 10-35), then single Latin Extended letters from U+0100 up to the deepest chain.
 */
import { MAX_CHAIN_LAYERS } from '../disk/layer-chain';
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

/** Chain layer number 1 (the bottom one) has this code; layer k has `FIRST_LAYER_CODE + k - 1`. */
export const FIRST_LAYER_CODE = CELL_STATES.length;
/** The largest cell code, that of the top layer of the deepest chain (over 255: cells need 16 bits). */
export const MAX_CELL_CODE = FIRST_LAYER_CODE + MAX_CHAIN_LAYERS - 1;

/** The cell code of chain layer number `layerNumber` (bottom = 1). */
export function layerCellCode(layerNumber: number): number {
  if (!Number.isInteger(layerNumber) || layerNumber < 1 || layerNumber > MAX_CHAIN_LAYERS) {
    throw new RangeError(`Block map: no chain layer number ${layerNumber} (chains hold layers 1-${MAX_CHAIN_LAYERS})`);
  }
  return FIRST_LAYER_CODE + layerNumber - 1;
}

/** The chain layer number a cell code shows, or 0 for the fixed states. */
export function layerNumberOfCode(code: number): number {
  return code >= FIRST_LAYER_CODE ? code - FIRST_LAYER_CODE + 1 : 0;
}

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

const LAYER_CHARS_DIGITS = 9;
const LAYER_CHARS_LETTERS = 26;
/** Past '1'-'9' and 'A'-'Z': Latin Extended-A and -B letters, one UTF-16 unit each, none a fixed state's. */
const DEEP_LAYER_FIRST_CHAR = 0x100;

/** The snapshot character of chain layer number `layerNumber` (see the file comment). */
export function layerCellChar(layerNumber: number): string {
  layerCellCode(layerNumber); // the range check
  if (layerNumber <= LAYER_CHARS_DIGITS) return String(layerNumber);
  const letter = layerNumber - LAYER_CHARS_DIGITS - 1;
  if (letter < LAYER_CHARS_LETTERS) return String.fromCharCode('A'.charCodeAt(0) + letter);
  return String.fromCharCode(DEEP_LAYER_FIRST_CHAR + letter - LAYER_CHARS_LETTERS);
}

/** The snapshot character of any cell code. */
export function cellCodeChar(code: number): string {
  const layerNumber = layerNumberOfCode(code);
  return layerNumber > 0 ? layerCellChar(layerNumber) : CELL_STATE_CHARS[cellStateOf(code)];
}

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
  for (let layerNumber = counts.frozenSectors.length; layerNumber >= 1; layerNumber -= 1) {
    if ((counts.frozenSectors[layerNumber - 1] ?? 0) > 0) return layerCellCode(layerNumber);
  }
  if (counts.rootSectors > 0) return CELL_CODE['root-remote'];
  if (counts.rootCachedSectors > 0) return CELL_CODE['root-cached'];
  return CELL_CODE.zero;
}

/** The fixed state of a code below FIRST_LAYER_CODE (a chain layer's code has none: see layerNumberOfCode). */
export function cellStateOf(code: number): CellState {
  const state = CELL_STATES[code];
  if (state === undefined) throw new RangeError(`No fixed cell state has code ${code}`);
  return state;
}

export interface LayerShare {
  layer: SectorLayer;
  /** For 'frozen': which layer of the chain (bottom = 1); 0 for the others. */
  layerNumber: number;
  label: string;
  sectors: number;
}

/**
 * The layers serving a range, most sectors first, leaving out layers with none. Each frozen
 * layer is a share of its own, named by `frozenLabels[layerNumber - 1]` (the chain's labels,
 * bottom first) or generically when the labels do not reach it.
 */
export function layerBreakdown(counts: SectorLayerCounts, frozenLabels: readonly string[] = []): LayerShare[] {
  const share = (layer: SectorLayer, sectors: number): LayerShare => ({ layer, layerNumber: 0, label: SECTOR_LAYER_LABELS[layer], sectors });
  const shares: LayerShare[] = [
    share('pending', counts.pendingSectors),
    share('leaf', counts.leafSectors),
    ...Array.from(counts.frozenSectors, (sectors, index): LayerShare => ({
      layer: 'frozen',
      layerNumber: index + 1,
      label: frozenLabels[index] ?? `${SECTOR_LAYER_LABELS.frozen} ${index + 1}`,
      sectors: sectors ?? 0,
    })),
    share('root', counts.rootSectors),
    share('root-cached', counts.rootCachedSectors),
    share('zero', counts.zeroSectors),
  ];
  return shares.filter((share) => share.sectors > 0).sort((a, b) => b.sectors - a.sectors);
}
