/**
 * The block map's colours, shared by the canvas renderer and the legend so they can never
 * disagree. On the dark theme (--bg #0f1419): the root states are greys and a light blue that
 * differ in lightness, the leaf states take Okabe–Ito orange and reddish purple (told apart by
 * people with the common colour-vision deficiencies), and the I/O flashes are white (read)
 * and a red-pink (write), far in lightness from each other and from the cells they cover.
 */
import type { MbrPartition } from '../disk/mbr';
import { cellStateOf, layerNumberOfCode, type CellState } from './cell-state';
import type { IoKind } from './io-flashes';

export const CELL_STATE_COLORS: Readonly<Record<CellState, string>> = {
  zero: '#1f262f',
  'root-remote': '#4a5563',
  'root-cached': '#56b4e9',
  'leaf-partial': '#cc79a7',
  'leaf-full': '#e69f00',
};

/**
 * The frozen layers of the chain (checkpoints, published layers), by layer number from the
 * bottom, cycling for deeper chains. The first three are the Okabe–Ito colours the cells did
 * not use yet (bluish green, blue, vermillion); then Paul Tol's muted sand and indigo, a light
 * and a dark one, so that neighbouring layers differ in lightness as well as hue. Simulating
 * protanopia, deuteranopia and tritanopia (Machado et al. 2009), every one of them stays at
 * least 16 CIELAB ΔE from every fixed cell colour, the background, the flashes and each other
 * (test/unit/blockmap/chain-layers.test.ts checks it). A chain deeper than five reuses colours;
 * the legend, the hover card and the snapshot's per-layer character still tell those apart.
 */
export const CHAIN_LAYER_COLORS: readonly string[] = ['#009e73', '#0072b2', '#d55e00', '#ddcc77', '#332288'];

/** The colour of chain layer number `layerNumber` (bottom = 1). */
export function chainLayerColor(layerNumber: number): string {
  return CHAIN_LAYER_COLORS[(layerNumber - 1) % CHAIN_LAYER_COLORS.length] ?? CHAIN_LAYER_COLORS[0]!;
}

/** The colour of any cell code: a fixed state's, or its chain layer's. */
export function cellCodeColor(code: number): string {
  const layerNumber = layerNumberOfCode(code);
  return layerNumber > 0 ? chainLayerColor(layerNumber) : CELL_STATE_COLORS[cellStateOf(code)];
}

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
