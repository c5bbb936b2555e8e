/**
 * The block map's colours, shared by the canvas renderer and the legend so they can never
 * disagree. On the dark theme (--bg #0f1419): the root states are greys and a light blue that
 * differ in lightness, the leaf states take Okabe–Ito orange and reddish purple (told apart by
 * people with the common colour-vision deficiencies), and the I/O flashes are white (read)
 * and a red-pink (write), far in lightness from each other and from the cells they cover.
 */
import type { CellState } from './cell-state';
import type { IoKind } from './io-flashes';

export const CELL_STATE_COLORS: Readonly<Record<CellState, string>> = {
  zero: '#1f262f',
  'root-remote': '#4a5563',
  'root-cached': '#56b4e9',
  'leaf-partial': '#cc79a7',
  'leaf-full': '#e69f00',
};

export const FLASH_COLORS: Readonly<Record<IoKind, string>> = {
  read: '#ffffff',
  write: '#ff3d6e',
};

export const FLASH_LABELS: Readonly<Record<IoKind, string>> = {
  read: 'Read (flash)',
  write: 'Write (flash)',
};

/** Partition band: alternating fills so neighbouring partitions stay apart, and the label colour. */
export const PARTITION_BAND_COLORS: readonly string[] = ['#2b3a4d', '#3b3352'];
export const PARTITION_TEXT_COLOR = '#e6edf3';
export const PARTITION_EDGE_COLOR = '#9aa7b4';
/** The bar at the left edge of the cell where a partition starts (bright: it sits on any cell colour). */
export const PARTITION_MARKER_COLOR = '#f0f6fc';
/** Outline of the cell under the pointer or the keyboard selection. */
export const HIGHLIGHT_COLOR = '#ffffff';
