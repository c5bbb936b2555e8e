/**
 * The block map component in Chromium over a real UnionDevice whose leaves are in the real
 * IndexedDB, with a chain made by checkpoints: the canvas draws a checkpoint's sectors in its
 * layer's colour, the legend lists each layer with its swatch and label, the hover card names
 * the layer serving a cell, and a checkpoint made while the map is on screen shows without
 * reloading anything. (The lab page cannot make checkpoints yet; this drives the component.)
 */
import { createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlockMap } from '@/app/lab/[imageId]/block-map';
import { BlockMapModel } from '@/lib/blockmap/model';
import { CELL_STATE_COLORS, chainLayerColor } from '@/lib/blockmap/palette';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import { MemoryRootSource } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';

const SECTOR = 512;
const SECTOR_COUNT = 256;
const IMAGE_ID = `map-layers-${Date.now().toString(36)}`;
let leafCounter = 0;

/** A fresh leaf in the real IndexedDB, and its id in the chain. */
function newLeaf(): { store: IdbLeafStore; leafId: string } {
  const leafId = `ws-leaf-${(leafCounter += 1)}`;
  return { store: new IdbLeafStore({ imageId: IMAGE_ID, storageId: leafId }), leafId };
}

/** "#rrggbb" → what getComputedStyle says of it. */
function cssRgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

/** The colour drawn at the centre of the cell showing `sector`, as #rrggbb. */
function cellColorOf(canvas: HTMLCanvasElement, model: BlockMapModel, sector: number): string {
  const cell = model.cellOfSector(sector)!;
  const columns = Number(canvas.dataset.columns);
  const cellSize = Number(canvas.dataset.cellSizeCss);
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const x = Math.floor(((cell % columns) + 0.5) * cellSize * ratio);
  const y = Math.floor((Math.floor(cell / columns) + 0.5) * cellSize * ratio);
  const [r, g, b] = canvas.getContext('2d')!.getImageData(x, y, 1, 1).data;
  return `#${[r, g, b].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
}

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const step of cleanup.reverse()) step();
  cleanup = [];
});

async function mountMap() {
  const root = new MemoryRootSource(new Uint8Array(SECTOR_COUNT * SECTOR));
  const rootIdentity = { id: IMAGE_ID, sizeBytes: root.sizeBytes, sha256: 'b'.repeat(64) };
  const first = newLeaf();
  const device = await UnionDevice.open({ root, rootIdentity, store: first.store, leafId: first.leafId, blockSizeBytes: 4096 });
  const write = (firstSector: number, sectors: number) => device.write(firstSector * SECTOR, new Uint8Array(sectors * SECTOR).fill(9));
  const checkpoint = () => {
    const next = newLeaf();
    return device.checkpoint(next.store, next.leafId, async () => {});
  };
  await write(0, 64); // sectors 0-63: frozen by the first checkpoint
  await checkpoint();
  await write(128, 8); // sectors 128-135: the live leaf
  const names = new Map([[first.leafId, 'tools installed']]);
  const model = new BlockMapModel(device, { maxCells: 32, labelOfLayer: (id) => names.get(id) }); // 8 sectors per cell
  const container = document.createElement('div');
  container.style.width = '512px';
  document.body.append(container);
  let reactRoot: Root | undefined = createRoot(container);
  reactRoot.render(createElement(BlockMap, { model }));
  cleanup.push(() => {
    reactRoot?.unmount();
    reactRoot = undefined;
    container.remove();
    model.dispose();
    void device.close();
  });
  const canvas = await vi.waitFor(() => {
    const found = container.querySelector<HTMLCanvasElement>('[data-testid="block-map-canvas"]');
    if (!found?.dataset.columns) throw new Error('the map has not laid out its canvas yet');
    return found;
  });
  return { device, model, container, canvas, checkpoint, firstLeafId: first.leafId };
}

function legendLayers(container: HTMLElement): Array<{ id: string | undefined; text: string; swatch: string }> {
  return Array.from(container.querySelectorAll<HTMLElement>('[data-testid="block-map-legend-layer"]'), (item) => ({
    id: item.dataset.layerId,
    text: item.textContent ?? '',
    swatch: getComputedStyle(item.querySelector('.block-map-swatch')!).backgroundColor,
  }));
}

describe('BlockMap over a chain of checkpoints (Chromium, real IndexedDB)', () => {
  it('draws a checkpoint in its layer colour, lists it in the legend, and follows a new checkpoint live', async () => {
    const { model, container, canvas, checkpoint, firstLeafId } = await mountMap();
    await vi.waitFor(() => expect(cellColorOf(canvas, model, 0)).toBe(chainLayerColor(1)));
    expect(cellColorOf(canvas, model, 128)).toBe(CELL_STATE_COLORS['leaf-full']);
    expect(cellColorOf(canvas, model, 200)).toBe(CELL_STATE_COLORS['root-cached']);
    expect(legendLayers(container)).toEqual([{ id: firstLeafId, text: 'Layer 1: tools installed', swatch: cssRgb(chainLayerColor(1)) }]);
    // The legend: the leaf's states, then the chain's layers, then the root's.
    const legend = Array.from(container.querySelectorAll('[data-testid="block-map-legend"] li'), (item) => item.textContent);
    expect(legend.slice(0, 4)).toEqual(['Leaf, fully written', 'Leaf, partly written', 'Layer 1: tools installed', 'Root, fetched']);

    const second = await checkpoint(); // while the map is on screen: the leaf's sectors move to layer 2
    await vi.waitFor(() => expect(cellColorOf(canvas, model, 128)).toBe(chainLayerColor(2)));
    expect(chainLayerColor(2)).not.toBe(chainLayerColor(1));
    expect(cellColorOf(canvas, model, 0)).toBe(chainLayerColor(1));
    await vi.waitFor(() => expect(legendLayers(container).map((layer) => layer.id)).toEqual([firstLeafId, second.id]));
    expect(legendLayers(container)[1]).toEqual({ id: second.id, text: `Layer 2: checkpoint ${second.id.slice(0, 8)}`, swatch: cssRgb(chainLayerColor(2)) });

    // The hover card names the layer that colours the cell, and the sectors each layer serves.
    const bounds = canvas.getBoundingClientRect();
    const cellSize = Number(canvas.dataset.cellSizeCss);
    const cell = model.cellOfSector(128)!;
    const columns = Number(canvas.dataset.columns);
    canvas.dispatchEvent(
      new PointerEvent('pointermove', {
        bubbles: true,
        clientX: bounds.left + ((cell % columns) + 0.5) * cellSize,
        clientY: bounds.top + (Math.floor(cell / columns) + 0.5) * cellSize,
      }),
    );
    const card = container.querySelector<HTMLElement>('[data-testid="block-map-cell-info"]')!;
    await vi.waitFor(() => expect(card.querySelector('h3')?.textContent).toBe(`Layer 2: checkpoint ${second.id.slice(0, 8)}`));
    expect(Array.from(card.querySelectorAll('.block-map-layers li'), (item) => item.textContent?.trim())).toEqual([`8 × checkpoint ${second.id.slice(0, 8)}`]);
    expect(getComputedStyle(card.querySelector('h3 .block-map-swatch')!).backgroundColor).toBe(cssRgb(chainLayerColor(2)));
  });
});
