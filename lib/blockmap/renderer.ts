/**
 * Draws a BlockMapModel on a canvas on animation frames (plain DOM, no React): one square per
 * cell in its state's or its chain layer's colour, reads and writes flashing and fading, each partition outlined
 * around its cells, and the highlighted cell. A frame that would look like the last one is skipped, so an idle map
 * costs almost nothing; a busy one costs one pass over the cells and the live flashes.
 *
 * Drawing happens in device pixels with cell edges rounded to whole pixels, so cells stay
 * crisp at any devicePixelRatio; the layout itself is in CSS pixels (see geometry.ts).
 */
import { MAX_CELL_CODE } from './cell-state';
import { cellAtPoint, cellRect, cellRunOutline, computeGridLayout, type GridLayout, type GridLayoutOptions, type RectCss } from './geometry';
import type { BlockMapModel } from './model';
import { cellCodeColor, FLASH_COLORS, HIGHLIGHT_COLOR, partitionOutlineColor } from './palette';
import { cellsOfSectorRange } from './view';

export interface BlockMapRendererOptions {
  /** How long a read or write flash takes to fade out. Default 800 ms. */
  fadeMs?: number;
  /**
   * Least time between two drawn frames. Default 50 ms (20 frames a second): v86 runs on the
   * page's main thread, so every frame drawn is time the guest does not get, and a fade over
   * 800 ms looks smooth enough at 20 frames a second.
   */
  minFrameIntervalMs?: number;
  layout?: Partial<GridLayoutOptions>;
}

export const FLASH_FADE_MS = 800;
export const MIN_FRAME_INTERVAL_MS = 50;
/** Flashes start this opaque over the cell's own colour, which shows through as they fade. */
const FLASH_PEAK_ALPHA = 0.9;
/** Width of a partition's outline, drawn inside its cells so neighbours never cover each other. */
const PARTITION_OUTLINE_CSS = 2;

export class BlockMapRenderer {
  private readonly context: CanvasRenderingContext2D;
  private readonly minFrameIntervalMs: number;
  private readonly fadeMs: number;
  private readonly layoutOptions: Partial<GridLayoutOptions>;
  private currentLayout: GridLayout;
  private widthCss = 0;
  private pixelRatio = 1;
  private highlighted: number | undefined;
  private frameRequest: number | undefined;
  /** What the canvas shows now, to skip frames that would draw the same picture. */
  private drawnVersion = -1;
  private needsDraw = true;
  private flashesShown = false;
  /** The last cell placed by placeCell, in device pixels (fields, not a tuple: no allocation per cell per frame). */
  private cellX = 0;
  private cellY = 0;
  private cellWidth = 0;
  private cellHeight = 0;
  private readAlpha = new Float32Array(0);
  private writeAlpha = new Float32Array(0);
  /** Which cell codes the frame shows (a flag per code), so only those get a pass over the cells. */
  private readonly codesShown = new Uint8Array(MAX_CELL_CODE + 1);

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly model: BlockMapModel,
    options: BlockMapRendererOptions = {},
  ) {
    const context = canvas.getContext('2d');
    if (!context) throw new Error('The block map needs a 2D canvas, which this browser did not provide.');
    this.context = context;
    this.fadeMs = options.fadeMs ?? FLASH_FADE_MS;
    this.minFrameIntervalMs = options.minFrameIntervalMs ?? MIN_FRAME_INTERVAL_MS;
    this.layoutOptions = options.layout ?? {};
    this.currentLayout = computeGridLayout(1, model.view.cellCount, this.layoutOptions);
  }

  /** Starts the animation-frame loop (idempotent). */
  start(): void {
    if (this.frameRequest !== undefined) return;
    let lastFrameMs = -Infinity;
    const loop = () => {
      const nowMs = this.model.nowMs();
      if (nowMs - lastFrameMs >= this.minFrameIntervalMs) {
        lastFrameMs = nowMs;
        this.drawFrame(nowMs);
      }
      this.frameRequest = requestAnimationFrame(loop);
    };
    this.frameRequest = requestAnimationFrame(loop);
  }

  stop(): void {
    if (this.frameRequest !== undefined) cancelAnimationFrame(this.frameRequest);
    this.frameRequest = undefined;
  }

  /** The width available, in CSS pixels (from a ResizeObserver); the height follows from the layout. */
  setWidth(widthCss: number): void {
    if (widthCss === this.widthCss) return;
    this.widthCss = widthCss;
    this.needsDraw = true;
  }

  setHighlight(cellIndex: number | undefined): void {
    if (cellIndex === this.highlighted) return;
    this.highlighted = cellIndex;
    this.needsDraw = true;
  }

  get layout(): GridLayout {
    this.syncLayout();
    return this.currentLayout;
  }

  cellAt(xCss: number, yCss: number): number | undefined {
    return cellAtPoint(this.layout, xCss, yCss);
  }

  cellRect(cellIndex: number): RectCss | undefined {
    return cellRect(this.layout, cellIndex);
  }

  /** Draws one frame if anything visible changed since the last one. */
  drawFrame(nowMs: number): void {
    this.syncLayout();
    this.model.refresh(nowMs);
    const flashesLive = !this.model.paused && nowMs - this.model.flashes.newestTimeMs < this.fadeMs;
    if (!this.needsDraw && this.model.version === this.drawnVersion && !flashesLive && !this.flashesShown) return;
    this.draw(nowMs, flashesLive);
    this.drawnVersion = this.model.version;
    this.needsDraw = false;
    this.flashesShown = flashesLive;
  }

  /** Recomputes the layout when the width, the pixel ratio or the cell count changed. */
  private syncLayout(): void {
    const ratio = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
    const cellCount = this.model.view.cellCount;
    const layout = this.currentLayout;
    if (ratio === this.pixelRatio && layout.cellCount === cellCount && layout.widthCss === Math.max(1, this.widthCss)) return;
    this.pixelRatio = ratio;
    this.currentLayout = computeGridLayout(this.widthCss, cellCount, this.layoutOptions);
    const { heightCss, columns, cellSizeCss, gridTopCss } = this.currentLayout;
    this.canvas.width = Math.max(1, Math.round(this.currentLayout.widthCss * ratio));
    this.canvas.height = Math.max(1, Math.round(heightCss * ratio));
    this.canvas.style.height = `${heightCss}px`;
    // For e2e tests: enough to find a cell's position without importing this module.
    Object.assign(this.canvas.dataset, {
      cellCount: String(cellCount),
      columns: String(columns),
      cellSizeCss: String(cellSizeCss),
      gridTopCss: String(gridTopCss),
    });
    this.needsDraw = true;
  }

  private draw(nowMs: number, flashesLive: boolean): void {
    const ctx = this.context;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawCells();
    if (flashesLive) this.drawFlashes(nowMs);
    this.drawPartitions();
    this.drawHighlight();
  }

  /**
   * Places a cell's drawn square in device pixels into cellX/cellY/cellWidth/cellHeight:
   * edges rounded to whole pixels, the gap at right and bottom.
   */
  private placeCell(cellIndex: number): void {
    const { columns, cellSizeCss, gridTopCss, gapCss } = this.currentLayout;
    const r = this.pixelRatio;
    const column = cellIndex % columns;
    const row = Math.floor(cellIndex / columns);
    const x0 = Math.round(column * cellSizeCss * r);
    const x1 = Math.round((column + 1) * cellSizeCss * r);
    const y0 = Math.round((gridTopCss + row * cellSizeCss) * r);
    const y1 = Math.round((gridTopCss + (row + 1) * cellSizeCss) * r);
    // Below ~3 device pixels a gap would eat the cell: draw the cells touching.
    const gap = x1 - x0 >= 3 ? Math.max(1, Math.round(gapCss * r)) : 0;
    this.cellX = x0;
    this.cellY = y0;
    this.cellWidth = Math.max(1, x1 - x0 - gap);
    this.cellHeight = Math.max(1, y1 - y0 - gap);
  }

  private drawCells(): void {
    const ctx = this.context;
    const states = this.model.cellStates;
    const shown = this.codesShown.fill(0);
    for (const code of states) shown[code] = 1;
    // One path per code shown: a handful of fills instead of one fillStyle change per cell (a
    // deep chain adds a code per layer, but only the layers in view cost a pass).
    for (let code = 0; code <= MAX_CELL_CODE; code += 1) {
      if (shown[code] === 0) continue;
      ctx.fillStyle = cellCodeColor(code);
      ctx.beginPath();
      for (let cell = 0; cell < states.length; cell += 1) {
        if (states[cell] !== code) continue;
        this.placeCell(cell);
        ctx.rect(this.cellX, this.cellY, this.cellWidth, this.cellHeight);
      }
      ctx.fill();
    }
  }

  /**
   * Each partition's run of cells, outlined as the rows fold it. The outline is stroked twice
   * as wide as wanted and clipped to the run, so exactly its inner half shows: it stays inside
   * the canvas at the edges, and two partitions sharing a cell both stay visible.
   */
  private drawPartitions(): void {
    const ctx = this.context;
    const r = this.pixelRatio;
    for (const partition of this.model.partitionTable.partitions) {
      const run = cellsOfSectorRange(this.model.view, partition.firstSector, partition.endSector);
      if (!run) continue;
      const outline = cellRunOutline(this.currentLayout, run.fromCell, run.toCell);
      ctx.save();
      ctx.beginPath();
      outline.forEach(({ x, y }, index) => {
        const xDevice = Math.round(x * r);
        const yDevice = Math.round(y * r);
        if (index === 0) ctx.moveTo(xDevice, yDevice);
        else ctx.lineTo(xDevice, yDevice);
      });
      ctx.closePath();
      ctx.clip();
      ctx.lineWidth = 2 * Math.max(1, Math.round(PARTITION_OUTLINE_CSS * r));
      ctx.strokeStyle = partitionOutlineColor(partition.index);
      ctx.stroke();
      ctx.restore();
    }
  }

  private drawFlashes(nowMs: number): void {
    const view = this.model.view;
    const cellCount = this.model.cellStates.length;
    if (this.readAlpha.length !== cellCount) {
      this.readAlpha = new Float32Array(cellCount);
      this.writeAlpha = new Float32Array(cellCount);
    }
    const readAlpha = this.readAlpha.fill(0);
    const writeAlpha = this.writeAlpha.fill(0);
    // Fold the live flashes into one opacity per cell and kind (newest first: the strongest).
    this.model.flashes.forEachNewest((kind, first, end, timeMs) => {
      const age = Math.max(0, nowMs - timeMs);
      if (age >= this.fadeMs) return false;
      const remaining = 1 - age / this.fadeMs;
      const alpha = FLASH_PEAK_ALPHA * remaining * remaining; // ease out
      const cells = cellsOfSectorRange(view, first, end);
      if (!cells) return true; // outside the window; older flashes may still be inside
      const target = kind === 'read' ? readAlpha : writeAlpha;
      for (let cell = cells.fromCell; cell < cells.toCell; cell += 1) if ((target[cell] ?? 0) < alpha) target[cell] = alpha;
    });
    const ctx = this.context;
    for (const [alphas, color] of [
      [readAlpha, FLASH_COLORS.read],
      [writeAlpha, FLASH_COLORS.write],
    ] as const) {
      ctx.fillStyle = color;
      for (let cell = 0; cell < cellCount; cell += 1) {
        const alpha = alphas[cell] ?? 0;
        if (alpha < 0.02) continue;
        ctx.globalAlpha = alpha;
        this.placeCell(cell);
        ctx.fillRect(this.cellX, this.cellY, this.cellWidth, this.cellHeight);
      }
    }
    ctx.globalAlpha = 1;
  }

  private drawHighlight(): void {
    const cell = this.highlighted;
    if (cell === undefined || cell >= this.model.cellStates.length) return;
    const ctx = this.context;
    const r = this.pixelRatio;
    this.placeCell(cell);
    // A dark rim under a white one: visible on the light and the dark cell colours alike.
    ctx.lineWidth = Math.max(2, Math.round(3 * r));
    ctx.strokeStyle = '#000000';
    ctx.strokeRect(this.cellX, this.cellY, this.cellWidth, this.cellHeight);
    ctx.lineWidth = Math.max(1, Math.round(1.5 * r));
    ctx.strokeStyle = HIGHLIGHT_COLOR;
    ctx.strokeRect(this.cellX, this.cellY, this.cellWidth, this.cellHeight);
  }
}
