/**
 * The renderer's frame skipping, with a recording stand-in for the canvas (Node has no canvas;
 * the pixels themselves are checked by the lab's Playwright screenshot). An idle map must
 * draw nothing, so that it costs the guest nothing.
 */
import { describe, expect, it } from 'vitest';
import { BlockMapModel } from '@/lib/blockmap/model';
import { CELL_STATE_COLORS, chainLayerColor } from '@/lib/blockmap/palette';
import { BlockMapRenderer } from '@/lib/blockmap/renderer';
import { UnionDevice } from '@/lib/disk/union-device';
import { LayeredRoot } from '../disk/helpers/layered-root';
import { memoryLeaf } from '../disk/helpers/stores';

function recordingCanvas() {
  const calls: string[] = [];
  /** The fill style of every path filled (the cells: one path per code shown). */
  const pathFills: unknown[] = [];
  const state: Record<string | symbol, unknown> = {};
  const context = new Proxy(state, {
    get: (target, key) =>
      key in target
        ? target[key]
        : () => {
            calls.push(String(key));
            if (key === 'fill') pathFills.push(target.fillStyle);
          },
    set: (target, key, value) => {
      target[key] = value;
      return true;
    },
  });
  const canvas = { width: 0, height: 0, style: {}, dataset: {}, getContext: () => context } as unknown as HTMLCanvasElement;
  return { canvas, calls, takeCalls: () => calls.splice(0), takePathFills: () => pathFills.splice(0) };
}

async function setup() {
  const root = new LayeredRoot(4096 * 512, 65536, ['remote']);
  const rootIdentity = { id: 'r', sizeBytes: root.sizeBytes, sha256: 'e'.repeat(64) };
  const device = await UnionDevice.open({ root, rootIdentity, store: memoryLeaf().openStore(), blockSizeBytes: 4096 });
  let nowMs = 0;
  const model = new BlockMapModel(device, { maxCells: 256, now: () => nowMs });
  const { canvas, takeCalls, takePathFills } = recordingCanvas();
  const renderer = new BlockMapRenderer(canvas, model);
  renderer.setWidth(512);
  return { device, model, canvas, renderer, takeCalls, takePathFills, setNow: (ms: number) => (nowMs = ms) };
}

describe('BlockMapRenderer', () => {
  it('sizes the canvas from the layout and publishes the geometry for e2e tests', async () => {
    const { canvas, renderer } = await setup();
    renderer.drawFrame(0);
    expect(canvas.dataset).toMatchObject({ cellCount: '256', columns: '64', cellSizeCss: '8', gridTopCss: '0' });
    expect(canvas.width).toBe(512);
    expect(canvas.style.height).toBe(`${4 * 8}px`);
    expect(renderer.cellAt(8 * 3 + 1, 8 + 1)).toBe(64 + 3);
    expect(renderer.cellRect(67)).toEqual({ x: 24, y: 8, width: 8, height: 8 });
  });

  it('draws nothing while nothing changes, flashes and fades I/O, then goes quiet again', async () => {
    const { device, renderer, takeCalls, setNow } = await setup();
    renderer.drawFrame(0);
    expect(takeCalls()).toContain('clearRect');
    renderer.drawFrame(16);
    renderer.drawFrame(500);
    expect(takeCalls()).toEqual([]); // idle: not a single canvas call

    setNow(600);
    await device.write(100 * 512, new Uint8Array(4096));
    renderer.drawFrame(616);
    const flashing = takeCalls();
    expect(flashing).toContain('clearRect');
    expect(flashing).toContain('fillRect'); // the write flash
    renderer.drawFrame(1300); // still fading
    expect(takeCalls()).toContain('clearRect');
    renderer.drawFrame(1420); // faded: one last frame without the flash
    expect(takeCalls()).toContain('clearRect');
    // The cells are recomputed while the write settles, but none changes again: nothing to draw.
    for (let ms = 1430; ms < 4000; ms += 16) renderer.drawFrame(ms);
    expect(takeCalls()).toEqual([]);
  });

  it('while paused, draws neither I/O nor cell changes, but still follows the pointer', async () => {
    const { device, model, renderer, takeCalls, setNow } = await setup();
    renderer.drawFrame(0);
    takeCalls();
    model.pause();
    setNow(100);
    await device.write(0, new Uint8Array(512));
    renderer.drawFrame(120);
    renderer.drawFrame(5000);
    expect(takeCalls()).toEqual([]);
    renderer.setHighlight(3);
    renderer.drawFrame(5016);
    expect(takeCalls()).toContain('strokeRect');
  });

  it('fills the cells of each chain layer in its colour, one path per code shown, after a checkpoint', async () => {
    const { device, renderer, takePathFills, setNow } = await setup();
    renderer.drawFrame(0);
    expect(takePathFills()).toEqual([CELL_STATE_COLORS['root-remote']]);
    await device.write(0, new Uint8Array(16 * 512)); // cell 0 (16 sectors per cell)
    await device.checkpoint(memoryLeaf().openStore(), 'leaf-2', async () => {});
    await device.write(16 * 512, new Uint8Array(512)); // cell 1, partly
    setNow(5000);
    renderer.drawFrame(5000);
    expect(takePathFills()).toEqual([CELL_STATE_COLORS['root-remote'], CELL_STATE_COLORS['leaf-partial'], chainLayerColor(1)]);
  });
});
