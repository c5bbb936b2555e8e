'use client';

import { useEffect, useId, useRef, useState, useSyncExternalStore, type KeyboardEvent, type MouseEvent } from 'react';
import {
  BlockMapRenderer,
  CELL_STATE_COLORS,
  CELL_STATE_LABELS,
  chainLayerColor,
  FLASH_COLORS,
  FLASH_LABELS,
  moveCell,
  partitionOutlineColor,
  viewEndSector,
  type BlockMapModel,
  type BlockMapView,
  type CellState,
} from '@/lib/blockmap';
import { SECTOR_SIZE_BYTES } from '@/lib/disk/leaf-store';
import { partitionLabel } from '@/lib/disk/mbr';
import { formatBytes } from '@/lib/format';

export interface BlockMapProps {
  /**
   * The map of the running disk, made by the lab from its UnionDevice once the disk is open.
   * The component draws it and changes its view; it does not dispose it (its owner does).
   */
  model: BlockMapModel;
}

/** The map section's element id, so a lesson step can bring the map on screen. */
export const BLOCK_MAP_ELEMENT_ID = 'block-map';

/**
 * Scrolls the block map just enough to be on screen (nothing moves when it already is): a lesson
 * step about the disk asks the student to watch it, and on a laptop it may be below the fold.
 */
export function bringBlockMapIntoView(): void {
  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  document.getElementById(BLOCK_MAP_ELEMENT_ID)?.scrollIntoView({ block: 'nearest', behavior: reduceMotion ? 'auto' : 'smooth' });
}

/** How much one press of "Zoom in"/"Zoom out" (or +/-) changes the sectors per cell. */
const ZOOM_STEP = 4;
/** How often the open hover card re-reads its cell's counters (the cell changes with I/O). */
const CARD_REFRESH_MS = 500;
/** The legend: the leaf's states, then the chain's layers bottom to top, then the root's states. */
const LEAF_LEGEND: readonly CellState[] = ['leaf-full', 'leaf-partial'];
const ROOT_LEGEND: readonly CellState[] = ['root-cached', 'root-remote', 'zero'];

/** A cell picked in one view; it means nothing in another, so it is kept with its view. */
interface CellPick {
  view: BlockMapView;
  cell: number;
}

const number = (n: number) => n.toLocaleString('en-US');

function granularityLabel(sectorsPerCell: number): string {
  return `${number(sectorsPerCell)} ${sectorsPerCell === 1 ? 'sector' : 'sectors'} (${formatBytes(sectorsPerCell * SECTOR_SIZE_BYTES)})`;
}

function legendEntry(state: CellState) {
  return (
    <li key={state}>
      <span className="block-map-swatch" style={{ background: CELL_STATE_COLORS[state] }} aria-hidden="true" />
      {CELL_STATE_LABELS[state]}
    </li>
  );
}

/**
 * Live copy-on-write map of the VM's disk. The canvas is drawn by BlockMapRenderer on
 * animation frames from the model's counters; React renders only when a control changes, the
 * view changes, or the pointer/keyboard moves to another cell — never per guest I/O.
 */
export function BlockMap({ model }: BlockMapProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const rendererRef = useRef<BlockMapRenderer | undefined>(undefined);
  const ui = useSyncExternalStore(model.subscribe, model.getUiState, model.getUiState);
  const [hover, setHoverState] = useState<CellPick>();
  const [selection, setSelectionState] = useState<CellPick>();
  // The same picks for event handlers: several events can arrive before React re-renders
  // (and before the handlers' closures see the new state).
  const picksRef = useRef<{ hover?: CellPick | undefined; selection?: CellPick | undefined }>({});
  const [, setCardTick] = useState(0);
  const headingId = useId();
  const cardId = useId();

  const { view, paused, mbr, granularities, layers } = ui;
  const hovered = hover?.view === view ? hover.cell : undefined;
  const selected = selection?.view === view ? selection.cell : undefined;
  const shown = hovered ?? selected;
  const coarsest = granularities[granularities.length - 1] ?? 1;
  const windowEnd = viewEndSector(view, model.sectorCount);
  const wholeDisk = view.firstSector === 0 && windowEnd === model.sectorCount && view.sectorsPerCell === coarsest;

  // One renderer and one animation-frame loop per model; the canvas follows the frame's width.
  useEffect(() => {
    const canvas = canvasRef.current;
    const frame = frameRef.current;
    if (!canvas || !frame) return;
    const renderer = new BlockMapRenderer(canvas, model);
    rendererRef.current = renderer;
    renderer.setWidth(frame.clientWidth);
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) renderer.setWidth(entry.contentRect.width);
    });
    observer.observe(frame);
    // Drawing costs the guest main-thread time: draw only while the map is on screen (the
    // model keeps counting, and catches up on the first frame back).
    const visibility = new IntersectionObserver((entries) => {
      const visible = entries.some((entry) => entry.isIntersecting);
      if (visible) renderer.start();
      else renderer.stop();
    });
    visibility.observe(frame);
    return () => {
      observer.disconnect();
      visibility.disconnect();
      renderer.stop();
      rendererRef.current = undefined;
    };
  }, [model]);

  useEffect(() => {
    rendererRef.current?.setHighlight(shown);
  }, [shown]);

  // While a card is open, refresh its numbers now and then (a timer, not per I/O).
  useEffect(() => {
    if (shown === undefined) return;
    const timer = setInterval(() => setCardTick((n) => n + 1), CARD_REFRESH_MS);
    return () => clearInterval(timer);
  }, [shown]);

  const info = shown === undefined ? undefined : model.cellInfo(shown);

  /** The cell under a pointer or mouse event (PointerEvent extends MouseEvent). */
  function cellAt(event: MouseEvent<HTMLCanvasElement>): number | undefined {
    const bounds = event.currentTarget.getBoundingClientRect();
    return rendererRef.current?.cellAt(event.clientX - bounds.left, event.clientY - bounds.top);
  }

  function setHover(cell: number | undefined): void {
    const pick = cell === undefined ? undefined : { view: model.view, cell };
    picksRef.current.hover = pick;
    setHoverState(pick);
  }

  function select(cell: number | undefined): void {
    const pick = cell === undefined ? undefined : { view: model.view, cell };
    picksRef.current.selection = pick;
    setSelectionState(pick);
  }

  /** The selected cell, else the hovered one, in the current view (read in handlers, not in render). */
  function currentCell(): number | undefined {
    const { hover: hovering, selection: selecting } = picksRef.current;
    if (selecting?.view === model.view) return selecting.cell;
    return hovering?.view === model.view ? hovering.cell : undefined;
  }

  /** Zooms into a cell and keeps its first sector selected in the new view. */
  function zoomIntoCell(cell: number): void {
    const range = model.cellInfo(cell);
    model.zoomIntoCell(cell);
    select(range ? model.cellOfSector(range.firstSector) : undefined);
  }

  /** Zooms by a factor around the selected cell (or the middle of the window). */
  function zoomBy(factor: number): void {
    const cell = currentCell();
    const anchor = cell === undefined ? undefined : model.cellInfo(cell)?.firstSector;
    model.zoomBy(factor, anchor);
    select(anchor === undefined ? undefined : model.cellOfSector(anchor));
  }

  function onKeyDown(event: KeyboardEvent<HTMLCanvasElement>): void {
    const layout = rendererRef.current?.layout;
    const current = currentCell();
    const move = (columns: number, rows: number) => {
      if (!layout) return;
      select(current === undefined ? 0 : moveCell(layout, current, columns, rows));
    };
    switch (event.key) {
      case 'ArrowLeft':
        move(-1, 0);
        break;
      case 'ArrowRight':
        move(1, 0);
        break;
      case 'ArrowUp':
        move(0, -1);
        break;
      case 'ArrowDown':
        move(0, 1);
        break;
      case 'Enter':
        if (current !== undefined) zoomIntoCell(current);
        break;
      case '+':
      case '=':
        zoomBy(ZOOM_STEP);
        break;
      case '-':
        zoomBy(1 / ZOOM_STEP);
        break;
      case 'PageUp':
        model.pan(-1);
        break;
      case 'PageDown':
        model.pan(1);
        break;
      case 'Home':
        model.showWholeDisk();
        break;
      case 'Escape':
        select(undefined);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  return (
    <section id={BLOCK_MAP_ELEMENT_ID} className="block-map" data-testid="block-map" aria-labelledby={headingId}>
      <div className="block-map-header">
        <h2 id={headingId}>Disk block map</h2>
        <div className="block-map-controls" role="group" aria-label="Block map controls">
          <label>
            Cell size{' '}
            <select
              value={view.sectorsPerCell}
              onChange={(event) => model.setGranularity(Number(event.target.value), info?.firstSector)}
              data-testid="block-map-granularity"
            >
              {granularities.map((sectorsPerCell) => (
                <option key={sectorsPerCell} value={sectorsPerCell}>
                  {granularityLabel(sectorsPerCell)}
                  {sectorsPerCell === coarsest ? ' · whole disk' : ''}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => zoomBy(ZOOM_STEP)} disabled={view.sectorsPerCell === 1} title="Zoom in (+)">
            Zoom in
          </button>
          <button type="button" onClick={() => zoomBy(1 / ZOOM_STEP)} disabled={view.sectorsPerCell === coarsest} title="Zoom out (-)">
            Zoom out
          </button>
          <button type="button" onClick={() => model.showWholeDisk()} disabled={wholeDisk} title="Whole disk (Home)">
            Whole disk
          </button>
          <button type="button" onClick={() => model.pan(-1)} disabled={view.firstSector === 0} aria-label="Earlier sectors (Page Up)">
            ◀
          </button>
          <button type="button" onClick={() => model.pan(1)} disabled={windowEnd === model.sectorCount} aria-label="Later sectors (Page Down)">
            ▶
          </button>
          <button
            type="button"
            onClick={() => (paused ? model.resume() : model.pause())}
            aria-pressed={paused}
            data-testid="block-map-pause"
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
        </div>
      </div>
      <p className="block-map-range">
        Sectors {number(view.firstSector)}–{number(windowEnd - 1)} of {number(model.sectorCount)} ({formatBytes(model.sectorCount * SECTOR_SIZE_BYTES)} disk),{' '}
        {granularityLabel(view.sectorsPerCell)} per cell{paused && ' · paused'}
      </p>
      <div className="block-map-body">
        <div className="block-map-frame" ref={frameRef}>
          <canvas
            ref={canvasRef}
            className="block-map-canvas"
            data-testid="block-map-canvas"
            tabIndex={0}
            role="application"
            aria-roledescription="block map"
            aria-label="Disk block map. Arrow keys pick a cell, Enter zooms into it, + and - zoom, Page Up and Page Down move, Home shows the whole disk."
            aria-describedby={cardId}
            onPointerMove={(event) => {
              const cell = cellAt(event);
              const { hover: hovering } = picksRef.current;
              if (cell !== (hovering?.view === model.view ? hovering.cell : undefined)) setHover(cell);
            }}
            onPointerLeave={() => setHover(undefined)}
            onClick={(event) => {
              const cell = cellAt(event);
              select(cell);
              event.currentTarget.focus();
            }}
            onDoubleClick={(event) => {
              const cell = cellAt(event);
              if (cell !== undefined) zoomIntoCell(cell);
            }}
            onKeyDown={onKeyDown}
          />
        </div>
        <aside className="block-map-side">
          <div id={cardId} className="block-map-cell-info" data-testid="block-map-cell-info" aria-live="polite">
            {info ? (
              <>
                <h3>
                  <span className="block-map-swatch" style={{ background: info.color }} aria-hidden="true" />
                  {info.stateLabel}
                </h3>
                <dl>
                  <dt>Sectors</dt>
                  <dd>
                    {number(info.firstSector)}
                    {info.sectorCount > 1 && <>–{number(info.lastSector)}</>} ({number(info.sectorCount)})
                  </dd>
                  <dt>Bytes</dt>
                  <dd>
                    {number(info.firstByte)}–{number(info.lastByte)} ({formatBytes(info.sectorCount * SECTOR_SIZE_BYTES)})
                  </dd>
                  <dt>Partition</dt>
                  <dd>{info.partitions.length > 0 ? info.partitions.join(', ') : 'none'}</dd>
                  <dt>Served by</dt>
                  <dd>
                    <ul className="block-map-layers">
                      {info.servedBy.map((share) => (
                        <li key={`${share.layer}-${share.layerNumber}`}>
                          {share.layer === 'frozen' && (
                            <>
                              <span className="block-map-swatch" style={{ background: chainLayerColor(share.layerNumber) }} aria-hidden="true" />{' '}
                            </>
                          )}
                          {number(share.sectors)} × {share.label}
                        </li>
                      ))}
                    </ul>
                  </dd>
                  <dt>Leaf holds</dt>
                  <dd data-testid="block-map-cell-leaf">
                    {number(info.leafSectors)} of {number(info.sectorCount)} {info.sectorCount === 1 ? 'sector' : 'sectors'}
                  </dd>
                </dl>
                {view.sectorsPerCell > 1 && (
                  <button type="button" onClick={() => zoomIntoCell(info.cellIndex)}>
                    Zoom into this cell
                  </button>
                )}
              </>
            ) : (
              <p className="block-map-hint">
                Point at a cell, tap it, or focus the map and use the arrow keys to see where its data comes from. Double-click or
                Enter zooms in.
              </p>
            )}
          </div>
          <ul className="block-map-legend" data-testid="block-map-legend" aria-label="Legend">
            {LEAF_LEGEND.map(legendEntry)}
            {layers.map((layer) => (
              <li key={layer.id} data-testid="block-map-legend-layer" data-layer-id={layer.id} title={`${layer.kind} ${layer.id}`}>
                <span className="block-map-swatch" style={{ background: layer.color }} aria-hidden="true" />
                Layer {layer.number}: {layer.label}
              </li>
            ))}
            {ROOT_LEGEND.map(legendEntry)}
            {(['read', 'write'] as const).map((kind) => (
              <li key={kind}>
                <span className="block-map-swatch flash" style={{ background: FLASH_COLORS[kind] }} aria-hidden="true" />
                {FLASH_LABELS[kind]}
              </li>
            ))}
          </ul>
          <div className="block-map-partitions" data-testid="block-map-partitions">
            {mbr.partitions.length > 0 ? (
              <ul aria-label="Partitions (outlined on the map)">
                {mbr.partitions.map((partition) => (
                  <li key={partition.index}>
                    <span
                      className="block-map-swatch outline"
                      style={{ borderColor: partitionOutlineColor(partition.index) }}
                      aria-hidden="true"
                    />
                    {partitionLabel(partition)}
                    {partition.bootable && ', bootable'} · {formatBytes(partition.sectorCount * SECTOR_SIZE_BYTES)} · sectors{' '}
                    {number(partition.firstSector)}–{number(partition.endSector - 1)}
                  </li>
                ))}
              </ul>
            ) : (
              <p>
                {mbr.problem ? `No partitions: ${mbr.problem}.` : 'Partition table not read yet: the guest has not loaded sector 0.'}
              </p>
            )}
            {mbr.warnings.map((warning) => (
              <p key={warning} className="block-map-warning">
                {warning}
              </p>
            ))}
          </div>
        </aside>
      </div>
    </section>
  );
}
