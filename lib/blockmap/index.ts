/** The live copy-on-write block map of the running VM's disk: model, geometry and canvas renderer (no React). */
export { BlockMapModel, BLOCK_MAP_DEFAULTS } from './model';
export type {
  BlockMapSource,
  BlockMapModelOptions,
  BlockMapCellInfo,
  BlockMapUiState,
  BlockMapSnapshot,
  BlockMapPartitionSnapshot,
  BlockMapLayerSnapshot,
} from './model';
export { describeChainLayers, defaultLayerLabel, sameChain } from './chain-layers';
export type { BlockMapLayer, ChainLayerRef, LayerLabeler } from './chain-layers';
export { BlockMapRenderer, FLASH_FADE_MS, MIN_FRAME_INTERVAL_MS } from './renderer';
export type { BlockMapRendererOptions } from './renderer';
export { computeGridLayout, cellRect, cellAtPoint, cellRunOutline, moveCell, GRID_LAYOUT_DEFAULTS } from './geometry';
export type { GridLayout, GridLayoutOptions, RectCss, PointCss } from './geometry';
export {
  CELL_STATES,
  CELL_CODE,
  CELL_STATE_CHARS,
  CELL_STATE_LABELS,
  SECTOR_LAYER_LABELS,
  FIRST_LAYER_CODE,
  MAX_CELL_CODE,
  classifyCell,
  cellStateOf,
  cellCodeChar,
  layerCellCode,
  layerCellChar,
  layerNumberOfCode,
  layerBreakdown,
} from './cell-state';
export type { CellState, LayerShare } from './cell-state';
export { CELL_STATE_COLORS, CHAIN_LAYER_COLORS, chainLayerColor, cellCodeColor, FLASH_COLORS, FLASH_LABELS, HIGHLIGHT_COLOR, partitionOutlineColor } from './palette';
export { IoFlashRing } from './io-flashes';
export type { IoKind } from './io-flashes';
export {
  makeView,
  wholeDiskView,
  wholeDiskSectorsPerCell,
  granularities,
  zoomAround,
  zoomIntoCell,
  panView,
  cellSectorRange,
  cellOfSector,
  cellsOfSectorRange,
  viewEndSector,
} from './view';
export type { BlockMapView } from './view';
