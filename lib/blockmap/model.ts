/**
 * The state behind the live block map of the running VM's disk: the view (which sectors, how
 * coarse), every cell's state, the recent I/O to flash, and the partition table.
 *
 * It must not slow the guest. The device's `onIo` runs on v86's I/O path, so the listener
 * here does O(1) work and allocates nothing: it records a flash in a ring and notes the time.
 * The cells are recomputed from the device's range counters (`sectorLayerCounts`, per block
 * and chunk) on the renderer's animation frames, at most every `minRefreshIntervalMs`, and
 * only while something may have changed: for a while after I/O (root fetches and leaf
 * commits land after the I/O that caused them) and once a `heartbeatMs` otherwise.
 * React hears only about what changes rarely (view, pause, partitions, the chain's layers)
 * via `subscribe`. The chain's layers are looked at on every recomputation (one comparison of
 * the device's array), so a checkpoint or a restore shows on the next refresh.
 */
import { SECTOR_SIZE_BYTES } from '../disk/leaf-store';
import { parseMbr, partitionLabel, partitionsOverlapping, type MbrLayout } from '../disk/mbr';
import type { SectorLayerCounts } from '../disk/sector-layer-counts';
import type { IoListener, SectorLayer } from '../disk/union-device';
import {
  CELL_STATE_CHARS,
  CELL_STATE_LABELS,
  CELL_STATES,
  cellCodeChar,
  cellStateOf,
  classifyCell,
  layerBreakdown,
  layerNumberOfCode,
  type CellState,
  type LayerShare,
} from './cell-state';
import { ChainLayersSeen, type BlockMapLayer, type ChainLayerRef, type LayerLabeler } from './chain-layers';
import { IoFlashRing } from './io-flashes';
import { CELL_STATE_COLORS } from './palette';
import {
  cellOfSector,
  cellSectorRange,
  granularities,
  makeView,
  panView,
  sameView,
  viewEndSector,
  wholeDiskView,
  zoomAround,
  zoomIntoCell,
  type BlockMapView,
} from './view';

/** How soon the partition table is looked at again after sector 0 was not local, or changed. */
const MBR_RETRY_MS = 250;

/** What the map needs from the disk; `UnionDevice` satisfies it. */
export interface BlockMapSource {
  readonly sectorCount: number;
  sectorLayerCounts(firstSector: number, endSector: number): SectorLayerCounts;
  layerOfSector(sector: number): SectorLayer;
  /** The frozen layers under the leaf, bottom to top; a new array whenever the chain changes. */
  readonly layers: readonly ChainLayerRef[];
  onIo(listener: IoListener): () => void;
  /** Reads merged bytes without counting them as guest I/O (for sector 0, the partition table). */
  peek(offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
}

export interface BlockMapModelOptions {
  /** Most cells the map shows; the whole disk fits at the coarsest granularity. Default 2048. */
  maxCells?: number;
  /** Least time between two recomputations of the cells. Default 100 ms. */
  minRefreshIntervalMs?: number;
  /** How long after an I/O the cells keep being recomputed (fetches and commits land later). Default 2000 ms. */
  settleMs?: number;
  /** Recompute at least this often even without I/O (e.g. a root chunk evicted from the cache). Default 1000 ms. */
  heartbeatMs?: number;
  /** Flashes kept; older ones are overwritten (they have faded long before). Default 512. */
  flashCapacity?: number;
  /** Clock in milliseconds. Default `performance.now`. */
  now?: () => number;
  /** Names the chain's layers (e.g. a checkpoint's name). Default: kind and short id (see defaultLayerLabel). */
  labelOfLayer?: LayerLabeler;
}

export const BLOCK_MAP_DEFAULTS = {
  maxCells: 2048,
  minRefreshIntervalMs: 100,
  settleMs: 2000,
  heartbeatMs: 1000,
  flashCapacity: 512,
} as const;

export interface BlockMapCellInfo {
  cellIndex: number;
  firstSector: number;
  /** Inclusive. */
  lastSector: number;
  sectorCount: number;
  firstByte: number;
  /** Inclusive. */
  lastByte: number;
  /** Labels of the partitions holding part of the cell ("#2 Linux"); empty outside any. */
  partitions: string[];
  /** 'frozen': the cell shows the colour of `layer`, a layer of the chain. */
  state: CellState | 'frozen';
  layer: BlockMapLayer | undefined;
  /** What the cell is drawn as: its colour and what that colour means. */
  color: string;
  stateLabel: string;
  /** Per-layer sector counts now, and the same as a list for display. */
  layers: SectorLayerCounts;
  servedBy: LayerShare[];
  /** Sectors the leaf holds, committed or being saved. */
  leafSectors: number;
}

/** Changes rarely; a new object whenever any part changes (for useSyncExternalStore). */
export interface BlockMapUiState {
  view: BlockMapView;
  paused: boolean;
  mbr: MbrLayout;
  /** The granularities offered, finest first; the last one is the whole disk. */
  granularities: readonly number[];
  /** The chain's frozen layers the cells are drawn with, bottom to top. */
  layers: readonly BlockMapLayer[];
}

/** A chain layer in a snapshot: how it is named and drawn, and how many cells of the window show it. */
export interface BlockMapLayerSnapshot extends BlockMapLayer {
  cells: number;
}

export interface BlockMapPartitionSnapshot {
  index: number;
  typeByte: number;
  typeName: string;
  firstSector: number;
  sectorCount: number;
  bootable: boolean;
  clipped: boolean;
}

/** Plain JSON for `window.leaflab`: what the map shows. */
export interface BlockMapSnapshot {
  sectorCount: number;
  firstSector: number;
  sectorsPerCell: number;
  cellCount: number;
  maxCells: number;
  /** One character per cell (see `cellKey`, and `layers[].char` for the chain's layers), in sector order. */
  cells: string;
  /** The fixed states' characters. */
  cellKey: Record<string, CellState>;
  /** How many cells are in each fixed state (cells showing a chain layer are counted in `layers`). */
  stateCounts: Record<CellState, number>;
  /** The chain's frozen layers, bottom to top. */
  layers: BlockMapLayerSnapshot[];
  /** Sectors of the window the leaf holds (committed or being saved). */
  leafSectorsInView: number;
  partitions: BlockMapPartitionSnapshot[];
  /** Why there is no partition table, if there is none (null when there is one or it is not read yet). */
  mbrProblem: string | null;
  paused: boolean;
  /** Guest I/O the map has seen since it was created. */
  ioSeen: { reads: number; writes: number };
}

function fixedStateLook(state: CellState): { state: CellState; color: string; stateLabel: string } {
  return { state, color: CELL_STATE_COLORS[state], stateLabel: CELL_STATE_LABELS[state] };
}

const NO_MBR_YET: MbrLayout = { partitions: [], problem: undefined, warnings: [] };

export class BlockMapModel {
  readonly sectorCount: number;
  readonly maxCells: number;
  readonly flashes: IoFlashRing;
  private readonly now: () => number;
  private readonly minRefreshIntervalMs: number;
  private readonly settleMs: number;
  private readonly heartbeatMs: number;
  private readonly granularityList: readonly number[];
  /** The device's chain the cells were last computed with, and its names. */
  private readonly chain: ChainLayersSeen;

  private currentView: BlockMapView;
  /** Cell codes (fixed states, then one per chain layer: up to MAX_CELL_CODE, past a byte). */
  private states: Uint16Array = new Uint16Array(0);
  private leafCounts: Uint32Array = new Uint32Array(0);
  /** Bumped whenever the view, the cells or the partitions change, so the renderer redraws only then. */
  private drawVersion = 0;
  /** The cells must be recomputed at the next refresh, throttle or pause notwithstanding (new view, resume). */
  private recomputeNow = true;
  private lastComputeMs = -Infinity;
  /** I/O happened recently: recompute (throttled) until then. */
  private dirtyUntilMs = -Infinity;
  private isPaused = false;
  private mbr: MbrLayout = NO_MBR_YET;
  private mbrStale = true;
  private mbrReading = false;
  private mbrRetry: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly io = { reads: 0, writes: 0 };
  private uiState: BlockMapUiState;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeIo: () => void;

  constructor(
    private readonly source: BlockMapSource,
    options: BlockMapModelOptions = {},
  ) {
    this.sectorCount = source.sectorCount;
    this.maxCells = options.maxCells ?? BLOCK_MAP_DEFAULTS.maxCells;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? BLOCK_MAP_DEFAULTS.minRefreshIntervalMs;
    this.settleMs = options.settleMs ?? BLOCK_MAP_DEFAULTS.settleMs;
    this.heartbeatMs = options.heartbeatMs ?? BLOCK_MAP_DEFAULTS.heartbeatMs;
    this.flashes = new IoFlashRing(options.flashCapacity ?? BLOCK_MAP_DEFAULTS.flashCapacity);
    this.now = options.now ?? (() => performance.now());
    this.currentView = wholeDiskView(this.sectorCount, this.maxCells);
    this.granularityList = granularities(this.sectorCount, this.maxCells);
    this.chain = new ChainLayersSeen(source.layers, options.labelOfLayer);
    this.uiState = this.makeUiState();
    this.unsubscribeIo = source.onIo(this.handleIo);
    this.maybeReadMbr();
  }

  // ── I/O (the guest's hot path: O(1), no allocation) ────────────────────────

  private readonly handleIo: IoListener = (kind, offsetBytes, lengthBytes) => {
    const timeMs = this.now();
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    const endSector = Math.ceil((offsetBytes + lengthBytes) / SECTOR_SIZE_BYTES);
    this.flashes.push(kind, firstSector, endSector, timeMs);
    this.dirtyUntilMs = timeMs + this.settleMs;
    if (kind === 'read') this.io.reads += 1;
    else this.io.writes += 1;
    // A write to sector 0 may change the partition table; a first read of it makes it readable.
    if (firstSector === 0 && (kind === 'write' || this.mbr === NO_MBR_YET)) {
      this.mbrStale = true;
      // Re-read once the I/O has settled (a write commits, a read fills the cache), on a timer
      // rather than in this listener, which runs on the guest's I/O path.
      this.mbrRetry ??= setTimeout(() => {
        this.mbrRetry = undefined;
        this.maybeReadMbr();
      }, MBR_RETRY_MS);
    }
  };

  // ── cells ──────────────────────────────────────────────────────────────────

  get view(): BlockMapView {
    return this.currentView;
  }

  /** Code per cell of the view (see cell-state.ts); valid until the next refresh. */
  get cellStates(): Uint16Array {
    return this.states;
  }

  /** Leaf sectors (committed or being saved) per cell of the view. */
  get cellLeafSectors(): Uint32Array {
    return this.leafCounts;
  }

  /** Changes whenever what the map draws (cells, partitions) changes. */
  get version(): number {
    return this.drawVersion;
  }

  /** The model's clock (flash times are on it); the renderer draws by it too. */
  nowMs(): number {
    return this.now();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get partitionTable(): MbrLayout {
    return this.mbr;
  }

  /** The chain's frozen layers the cells are drawn with, bottom to top. */
  get layers(): readonly BlockMapLayer[] {
    return this.chain.layers;
  }

  /** Names the chain's layers from now on (the owner learns names later, or a checkpoint is renamed). */
  setLayerLabels(labelOfLayer: LayerLabeler | undefined): void {
    this.chain.relabel(labelOfLayer);
    this.notify();
  }

  /**
   * Recomputes the cells if due (the renderer calls it every animation frame). While paused,
   * the cells stay as they were unless the view changed. Returns whether it recomputed.
   */
  refresh(nowMs: number = this.now()): boolean {
    if (this.disposed) return false;
    this.maybeReadMbr();
    if (!this.recomputeNow) {
      if (this.isPaused) return false;
      if (this.chain.differsFrom(this.source.layers)) this.recomputeNow = true; // a checkpoint or restore: show it now
    }
    if (!this.recomputeNow) {
      const sinceLastMs = nowMs - this.lastComputeMs;
      const dirty = this.lastComputeMs <= this.dirtyUntilMs;
      if (sinceLastMs < this.minRefreshIntervalMs || (!dirty && sinceLastMs < this.heartbeatMs)) return false;
    }
    this.computeCells(nowMs);
    return true;
  }

  private computeCells(nowMs: number): void {
    const { firstSector, sectorsPerCell, cellCount } = this.currentView;
    // A new view always redraws; otherwise only a cell that changed does (most I/O changes none).
    let changed = this.recomputeNow;
    const chainChanged = this.chain.sync(this.source.layers);
    if (chainChanged) changed = true;
    if (this.states.length !== cellCount) {
      this.states = new Uint16Array(cellCount);
      this.leafCounts = new Uint32Array(cellCount);
    }
    for (let cell = 0; cell < cellCount; cell += 1) {
      const first = firstSector + cell * sectorsPerCell;
      const end = Math.min(this.sectorCount, first + sectorsPerCell);
      const counts = this.source.sectorLayerCounts(first, end);
      const state = classifyCell(counts, end - first);
      const leafSectors = counts.leafSectors + counts.pendingSectors;
      if (state !== this.states[cell] || leafSectors !== this.leafCounts[cell]) changed = true;
      this.states[cell] = state;
      this.leafCounts[cell] = leafSectors;
    }
    this.recomputeNow = false;
    this.lastComputeMs = nowMs;
    if (changed) this.drawVersion += 1;
    if (chainChanged) this.notify();
  }

  /** Where sector `sector`'s data comes from now (the device's answer). */
  layerOf(sector: number): SectorLayer {
    if (!Number.isSafeInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new RangeError(`Block map: sector ${sector} is outside the ${this.sectorCount}-sector disk`);
    }
    return this.source.layerOfSector(sector);
  }

  /** Everything the hover card shows about a cell, counted now; undefined outside the view. */
  cellInfo(cellIndex: number): BlockMapCellInfo | undefined {
    const range = cellSectorRange(this.currentView, this.sectorCount, cellIndex);
    if (!range) return undefined;
    const [first, end] = range;
    const layers = this.source.sectorLayerCounts(first, end);
    const code = classifyCell(layers, end - first);
    const chain = this.chain.describe(this.source.layers);
    const layerNumber = layerNumberOfCode(code);
    // The counts were taken from the chain just read, so a layer code always finds its layer.
    const layer = layerNumber > 0 ? chain[layerNumber - 1] : undefined;
    const look = layer
      ? { state: 'frozen' as const, color: layer.color, stateLabel: `Layer ${layer.number}: ${layer.label}` }
      : fixedStateLook(cellStateOf(code));
    return {
      cellIndex,
      firstSector: first,
      lastSector: end - 1,
      sectorCount: end - first,
      firstByte: first * SECTOR_SIZE_BYTES,
      lastByte: end * SECTOR_SIZE_BYTES - 1,
      partitions: partitionsOverlapping(this.mbr, first, end).map(partitionLabel),
      ...look,
      layer,
      layers,
      servedBy: layerBreakdown(
        layers,
        chain.map((chainLayer) => chainLayer.label),
      ),
      leafSectors: layers.leafSectors + layers.pendingSectors,
    };
  }

  cellOfSector(sector: number): number | undefined {
    return cellOfSector(this.currentView, sector);
  }

  // ── view ───────────────────────────────────────────────────────────────────

  /** Another granularity, keeping `anchorSector` (default: the window's middle) in place. */
  setGranularity(sectorsPerCell: number, anchorSector?: number): void {
    const view = this.currentView;
    const anchor = anchorSector ?? view.firstSector + (view.cellCount * view.sectorsPerCell) / 2;
    this.setView(zoomAround(view, this.sectorCount, this.maxCells, sectorsPerCell, anchor));
  }

  /** `factor` times finer (>1) or coarser (<1), around `anchorSector`. */
  zoomBy(factor: number, anchorSector?: number): void {
    this.setGranularity(Math.max(1, Math.floor(this.currentView.sectorsPerCell / factor)), anchorSector);
  }

  zoomIntoCell(cellIndex: number): void {
    this.setView(zoomIntoCell(this.currentView, this.sectorCount, this.maxCells, cellIndex));
  }

  showWholeDisk(): void {
    this.setView(wholeDiskView(this.sectorCount, this.maxCells));
  }

  pan(direction: 1 | -1): void {
    this.setView(panView(this.currentView, this.sectorCount, this.maxCells, direction));
  }

  /** Any view; rounded to a valid one (see makeView). */
  showSectors(firstSector: number, sectorsPerCell: number): void {
    this.setView(makeView(this.sectorCount, this.maxCells, sectorsPerCell, firstSector));
  }

  private setView(view: BlockMapView): void {
    if (sameView(view, this.currentView)) return;
    this.currentView = view;
    this.recomputeNow = true;
    this.notify();
  }

  // ── pause ──────────────────────────────────────────────────────────────────

  /** Freezes the drawing; I/O is still recorded. */
  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    this.notify();
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.recomputeNow = true; // the disk moved on meanwhile
    this.notify();
  }

  // ── partition table ────────────────────────────────────────────────────────

  /**
   * Reads sector 0 when it is stale and can be read without a network fetch: the map must
   * cost the guest nothing, and the guest (its BIOS) reads sector 0 first thing anyway, which
   * marks it stale again through onIo.
   */
  private maybeReadMbr(): void {
    if (!this.mbrStale || this.mbrReading || this.disposed) return;
    if (this.source.layerOfSector(0) === 'root') {
      // Not local yet (the map never fetches it itself): look again soon, so the partitions
      // appear without waiting for the next frame, which is never drawn while the map is
      // off screen.
      this.mbrRetry ??= setTimeout(() => {
        this.mbrRetry = undefined;
        this.maybeReadMbr();
      }, MBR_RETRY_MS);
      return;
    }
    this.mbrStale = false;
    this.mbrReading = true;
    this.source.peek(0, SECTOR_SIZE_BYTES).then(
      (sector0) => this.setMbr(parseMbr(sector0, this.sectorCount)),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.setMbr({ partitions: [], problem: `sector 0 could not be read: ${message}`, warnings: [] });
      },
    );
  }

  private setMbr(layout: MbrLayout): void {
    this.mbrReading = false;
    if (this.disposed) return;
    this.mbr = layout;
    this.drawVersion += 1;
    this.notify();
    this.maybeReadMbr(); // written again while it was being read
  }

  // ── React and automation ───────────────────────────────────────────────────

  /** Listens for view, pause and partition changes (never per I/O); returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** A stable object until something in it changes (for useSyncExternalStore). */
  getUiState = (): BlockMapUiState => this.uiState;

  private makeUiState(): BlockMapUiState {
    return { view: this.currentView, paused: this.isPaused, mbr: this.mbr, granularities: this.granularityList, layers: this.chain.layers };
  }

  private notify(): void {
    this.uiState = this.makeUiState();
    for (const listener of this.listeners) listener();
  }

  /** What the map shows now, as plain JSON. Fresh unless paused (then what the frozen map shows). */
  snapshot(): BlockMapSnapshot {
    if (!this.isPaused || this.recomputeNow) this.computeCells(this.now());
    this.maybeReadMbr();
    const stateCounts = Object.fromEntries(CELL_STATES.map((state) => [state, 0])) as Record<CellState, number>;
    const layers: BlockMapLayerSnapshot[] = this.chain.layers.map((layer) => ({ ...layer, cells: 0 }));
    let cells = '';
    for (const code of this.states) {
      const layerNumber = layerNumberOfCode(code);
      const layer = layers[layerNumber - 1];
      if (layer) layer.cells += 1;
      else stateCounts[cellStateOf(code)] += 1;
      cells += cellCodeChar(code);
    }
    let leafSectorsInView = 0;
    for (const count of this.leafCounts) leafSectorsInView += count;
    const { firstSector, sectorsPerCell, cellCount } = this.currentView;
    return {
      sectorCount: this.sectorCount,
      firstSector,
      sectorsPerCell,
      cellCount,
      maxCells: this.maxCells,
      cells,
      cellKey: Object.fromEntries(CELL_STATES.map((state) => [CELL_STATE_CHARS[state], state])),
      stateCounts,
      layers,
      leafSectorsInView,
      partitions: this.mbr.partitions.map(({ index, typeByte, typeName, firstSector: first, sectorCount, bootable, clipped }) => ({
        index,
        typeByte,
        typeName,
        firstSector: first,
        sectorCount,
        bootable,
        clipped,
      })),
      mbrProblem: this.mbr.problem ?? null,
      paused: this.isPaused,
      ioSeen: { ...this.io },
    };
  }

  /** The window's end (exclusive): the last cell may stop short at the end of the disk. */
  get viewEndSector(): number {
    return viewEndSector(this.currentView, this.sectorCount);
  }

  /** Stops listening to the device. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.mbrRetry);
    this.unsubscribeIo();
    this.listeners.clear();
  }
}
