/**
 * The block map's colours, shared by the canvas renderer and the legend so they can never
 * disagree. On the dark theme (--bg #0f1419): the root states are greys and a light blue that
 * differ in lightness, the leaf states take Okabe–Ito orange and reddish purple (told apart by
 * people with the common colour-vision deficiencies), and the I/O flashes are white (read)
 * and a red-pink (write), far in lightness from each other and from the cells they cover.
 */
import type { MbrPartition } from '../disk/mbr';
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

/**
 * Outlines of the partitions around their cells, by table entry (sda1 first). Bright and
 * unlike every cell and flash colour and the white highlight: Okabe–Ito yellow and bluish
 * green (lightened for the dark theme), a lime and a lavender. Neighbouring partitions are
 * told apart by their outlines' shapes as much as by colour, and the list beside the map
 * names them.
 */
const PARTITION_OUTLINE_COLORS = { 1: '#f0e442', 2: '#2fd1a0', 3: '#b6e35a', 4: '#a9a3ff' } as const;

export function partitionOutlineColor(partitionIndex: MbrPartition['index']): string {
  return PARTITION_OUTLINE_COLORS[partitionIndex];
}

/** Outline of the cell under the pointer or the keyboard selection. */
export const HIGHLIGHT_COLOR = '#ffffff';
