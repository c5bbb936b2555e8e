/**
 * The block map over a disk with a chain of frozen layers (a real UnionDevice, in-memory leaves,
 * checkpoints made with `device.checkpoint`): every chain layer gets a code, a character and a
 * colour of its own; a cell shows the leaf first, then the topmost frozen layer it holds, then
 * the root's states; the legend (UI state), the hover card and the snapshot name the layers;
 * and a checkpoint made while the map is shown appears on the map's next refresh.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  CELL_CODE,
  CELL_STATE_CHARS,
  CELL_STATES,
  FIRST_LAYER_CODE,
  MAX_CELL_CODE,
  cellCodeChar,
  classifyCell,
  layerBreakdown,
  layerCellChar,
  layerCellCode,
  layerNumberOfCode,
} from '@/lib/blockmap/cell-state';
import { defaultLayerLabel, sameChain } from '@/lib/blockmap/chain-layers';
import { BlockMapModel, type BlockMapModelOptions } from '@/lib/blockmap/model';
import { CELL_STATE_COLORS, CHAIN_LAYER_COLORS, FLASH_COLORS, cellCodeColor, chainLayerColor } from '@/lib/blockmap/palette';
import { cellSectorRange } from '@/lib/blockmap/view';
import { MAX_CHAIN_LAYERS } from '@/lib/disk/layer-chain';
import { emptySectorLayerCounts, type SectorLayerCounts } from '@/lib/disk/sector-layer-counts';
import { UnionDevice } from '@/lib/disk/union-device';
import { LayeredRoot } from '../disk/helpers/layered-root';
import { leastDeltaE } from './colour-vision';
import { memoryLeaf } from '../disk/helpers/stores';

const SECTOR = 512;
/** The page's --bg (app/globals.css), behind the cells. */
const PAGE_BACKGROUND = '#0f1419';
/** CIELAB ΔE every chain layer colour keeps from the others under every simulated vision. */
const MIN_DELTA_E = 16;

function counts(partial: Partial<SectorLayerCounts>): SectorLayerCounts {
  return { ...emptySectorLayerCounts(), ...partial };
}

describe('chain layer codes, characters and colours', () => {
  it('give every layer of the deepest chain its own code and character, apart from the fixed states', () => {
    const chars = new Set<string>(CELL_STATES.map((state) => CELL_STATE_CHARS[state]));
    for (let layerNumber = 1; layerNumber <= MAX_CHAIN_LAYERS; layerNumber += 1) {
      const code = layerCellCode(layerNumber);
      expect(code).toBe(FIRST_LAYER_CODE + layerNumber - 1);
      expect(layerNumberOfCode(code)).toBe(layerNumber);
      const char = layerCellChar(layerNumber);
      expect(char).toHaveLength(1);
      expect(cellCodeChar(code)).toBe(char);
      expect(chars.has(char)).toBe(false);
      chars.add(char);
    }
    expect(layerCellCode(MAX_CHAIN_LAYERS)).toBe(MAX_CELL_CODE);
    expect([layerCellChar(1), layerCellChar(9), layerCellChar(10), layerCellChar(35), layerCellChar(36)]).toEqual(['1', '9', 'A', 'Z', '\u0100']);
    for (const state of CELL_STATES) {
      expect(layerNumberOfCode(CELL_CODE[state])).toBe(0);
      expect(cellCodeChar(CELL_CODE[state])).toBe(CELL_STATE_CHARS[state]); // the fixed codes and chars are unchanged
    }
    expect(() => layerCellCode(0)).toThrow(RangeError);
    expect(() => layerCellCode(MAX_CHAIN_LAYERS + 1)).toThrow(RangeError);
  });

  it('colour layers apart from the fixed states, the flashes and their neighbours in the chain', () => {
    const taken = new Set<string>([...Object.values(CELL_STATE_COLORS), ...Object.values(FLASH_COLORS)]);
    for (const color of CHAIN_LAYER_COLORS) expect(taken.has(color)).toBe(false);
    expect(new Set(CHAIN_LAYER_COLORS).size).toBe(CHAIN_LAYER_COLORS.length);
    for (let layerNumber = 1; layerNumber < 40; layerNumber += 1) {
      expect(chainLayerColor(layerNumber)).not.toBe(chainLayerColor(layerNumber + 1));
      expect(cellCodeColor(layerCellCode(layerNumber))).toBe(chainLayerColor(layerNumber));
    }
    expect(chainLayerColor(1 + CHAIN_LAYER_COLORS.length)).toBe(chainLayerColor(1)); // deep chains cycle
    // Apart for people with the common colour-vision deficiencies too (see palette.ts).
    const others = [...taken, PAGE_BACKGROUND];
    CHAIN_LAYER_COLORS.forEach((color, index) => {
      for (const other of [...others, ...CHAIN_LAYER_COLORS.slice(index + 1)]) {
        expect(leastDeltaE(color, other), `${color} against ${other}`).toBeGreaterThanOrEqual(MIN_DELTA_E);
      }
    });
    expect(cellCodeColor(CELL_CODE['leaf-full'])).toBe(CELL_STATE_COLORS['leaf-full']);
  });

  it('classify a cell: the leaf first, then the topmost frozen layer it holds, then remote, fetched, zero', () => {
    const cell = 16;
    expect(classifyCell(counts({ leafSectors: 1, frozenSectors: [15] }), cell)).toBe(CELL_CODE['leaf-partial']);
    expect(classifyCell(counts({ pendingSectors: 4, leafSectors: 12 }), cell)).toBe(CELL_CODE['leaf-full']);
    // Layer 3 holds one sector, layer 1 holds ten: the newest (topmost) names the cell.
    expect(classifyCell(counts({ frozenSectors: [10, 0, 1], rootSectors: 5 }), cell)).toBe(layerCellCode(3));
    expect(classifyCell(counts({ frozenSectors: [2], rootSectors: 14 }), cell)).toBe(layerCellCode(1));
    // A sparse counts array (layer 2 only) and a chain whose layers serve nothing here.
    const sparse: number[] = [];
    sparse[1] = 3;
    expect(classifyCell(counts({ frozenSectors: sparse, zeroSectors: 13 }), cell)).toBe(layerCellCode(2));
    expect(classifyCell(counts({ frozenSectors: [0, 0], rootCachedSectors: 16 }), cell)).toBe(CELL_CODE['root-cached']);
  });

  it('name each frozen layer in the served-by breakdown, with its sectors', () => {
    const shares = layerBreakdown(counts({ leafSectors: 2, frozenSectors: [5, 0, 7], rootCachedSectors: 2 }), ['base', 'middle', 'top']);
    expect(shares.map(({ layer, layerNumber, label, sectors }) => [layer, layerNumber, label, sectors])).toEqual([
      ['frozen', 3, 'top', 7],
      ['frozen', 1, 'base', 5],
      ['leaf', 0, 'leaf (your changes)', 2],
      ['root-cached', 0, 'root, fetched', 2],
    ]);
    expect(layerBreakdown(counts({ frozenSectors: [1] }))[0]?.label).toBe('checkpoint or published layer 1');
  });

  it('label layers by kind and short id unless told otherwise, and compare chains by their layers', () => {
    expect(defaultLayerLabel({ id: 'cp-0123456789abcdef', kind: 'checkpoint' })).toBe('checkpoint cp-01234');
    expect(defaultLayerLabel({ id: 'ab'.repeat(32), kind: 'published' })).toBe(`published ${'ab'.repeat(6)}…`);
    const chain = [{ id: 'a', kind: 'checkpoint' as const }];
    expect(sameChain(chain, [{ id: 'a', kind: 'checkpoint' }])).toBe(true);
    expect(sameChain(chain, [{ id: 'a', kind: 'published' }])).toBe(false);
    expect(sameChain(chain, [...chain, { id: 'b', kind: 'checkpoint' }])).toBe(false);
  });
});

/** A 256-sector disk (fetched root chunks, sector 0 included), its leaf "leaf-1", and a map of it. */
async function setup(model: BlockMapModelOptions = {}) {
  const sectorCount = 256;
  const root = new LayeredRoot(sectorCount * SECTOR, 4096, ['cached']);
  const rootIdentity = { id: 'chain-map', sizeBytes: root.sizeBytes, sha256: 'c'.repeat(64) };
  const device = await UnionDevice.open({ root, rootIdentity, store: memoryLeaf().openStore(), leafId: 'leaf-1', blockSizeBytes: 4096 });
  let leafCounter = 1;
  /** Freezes the live leaf (named leaf-<n>) and continues on a new one. */
  const checkpoint = () => device.checkpoint(memoryLeaf().openStore(), `leaf-${(leafCounter += 1)}`, async () => {});
  const write = (firstSector: number, sectors: number) => device.write(firstSector * SECTOR, new Uint8Array(sectors * SECTOR).fill(7));
  const blockMap = new BlockMapModel(device, { now: () => 0, maxCells: 32, ...model }); // 8 sectors per cell
  return { device, blockMap, checkpoint, write };
}

/** The reference: each cell from a per-sector walk over layerOfSector and layerIdOfSector. */
function expectedCells(device: UnionDevice, blockMap: BlockMapModel): string {
  const layerNumberOf = new Map(device.layers.map((layer, index) => [layer.id, index + 1]));
  let cells = '';
  for (let cell = 0; cell < blockMap.view.cellCount; cell += 1) {
    const [first, end] = cellSectorRange(blockMap.view, blockMap.sectorCount, cell)!;
    let leaf = 0;
    let topLayer = 0;
    let remote = 0;
    let cached = 0;
    for (let sector = first; sector < end; sector += 1) {
      const layer = device.layerOfSector(sector);
      if (layer === 'leaf' || layer === 'pending') leaf += 1;
      else if (layer === 'frozen') topLayer = Math.max(topLayer, layerNumberOf.get(device.layerIdOfSector(sector)) ?? NaN);
      else if (layer === 'root') remote += 1;
      else if (layer === 'root-cached') cached += 1;
    }
    if (leaf > 0) cells += leaf === end - first ? 'f' : 'p';
    else if (topLayer > 0) cells += layerCellChar(topLayer);
    else cells += remote > 0 ? 'r' : cached > 0 ? 'c' : 'z';
  }
  return cells;
}

describe('BlockMapModel over a chain of checkpoints', () => {
  it('colours cells by the layer serving them, names the layers in the legend, card and snapshot', async () => {
    const { blockMap, checkpoint, write } = await setup({ labelOfLayer: (id) => (id === 'leaf-2' ? 'after install' : undefined) });
    await write(16, 8); // cell 2, all of it
    await write(24, 2); // cell 3, sectors 24-25
    await checkpoint(); // layer 1: leaf-1
    await write(26, 1); // cell 3 again: layer 2 holds one sector of it, layer 1 two
    await write(32, 8); // cell 4
    await checkpoint(); // layer 2: leaf-2
    await write(40, 1); // cell 5: the live leaf

    const snapshot = blockMap.snapshot();
    expect(snapshot.cells.slice(0, 7)).toBe('cc122pc');
    expect(snapshot.cells).toBe(`cc122p${'c'.repeat(26)}`);
    expect(snapshot.layers).toEqual([
      { number: 1, id: 'leaf-1', kind: 'checkpoint', label: 'checkpoint leaf-1', color: CHAIN_LAYER_COLORS[0], code: FIRST_LAYER_CODE, char: '1', cells: 1 },
      { number: 2, id: 'leaf-2', kind: 'checkpoint', label: 'after install', color: CHAIN_LAYER_COLORS[1], code: FIRST_LAYER_CODE + 1, char: '2', cells: 2 },
    ]);
    expect(snapshot.stateCounts).toEqual({ 'root-remote': 0, 'root-cached': 28, zero: 0, 'leaf-partial': 1, 'leaf-full': 0 });
    expect(Object.keys(snapshot.cellKey).sort()).toEqual(CELL_STATES.map((state) => CELL_STATE_CHARS[state]).sort());
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(blockMap.cellStates[3]).toBe(layerCellCode(2));
    expect(blockMap.getUiState().layers.map((layer) => [layer.id, layer.label, layer.color])).toEqual([
      ['leaf-1', 'checkpoint leaf-1', CHAIN_LAYER_COLORS[0]],
      ['leaf-2', 'after install', CHAIN_LAYER_COLORS[1]],
    ]);

    const card = blockMap.cellInfo(3)!;
    expect(card).toMatchObject({ state: 'frozen', color: CHAIN_LAYER_COLORS[1], stateLabel: 'Layer 2: after install', leafSectors: 0 });
    expect(card.layer?.id).toBe('leaf-2');
    expect(card.servedBy.map((share) => [share.label, share.sectors])).toEqual([
      ['root, fetched', 5],
      ['checkpoint leaf-1', 2],
      ['after install', 1],
    ]);
    expect(blockMap.cellInfo(5)).toMatchObject({ state: 'leaf-partial', layer: undefined, color: CELL_STATE_COLORS['leaf-partial'] });

    blockMap.showSectors(16, 1); // one sector per cell: each sector its own layer
    expect(blockMap.snapshot().cells.slice(0, 25)).toBe(`${'1'.repeat(10)}2${'c'.repeat(5)}${'2'.repeat(8)}f`);
  });

  it('picks up a checkpoint on the next refresh, throttle and heartbeat notwithstanding, and tells the legend', async () => {
    const { blockMap, checkpoint, write } = await setup();
    await write(8, 8);
    expect(blockMap.refresh(0)).toBe(true);
    expect(blockMap.snapshot().cells[1]).toBe('f');
    const listener = vi.fn();
    blockMap.subscribe(listener);
    const uiBefore = blockMap.getUiState();
    expect(blockMap.refresh(10_000)).toBe(true); // settling after the write
    expect(blockMap.refresh(20_000)).toBe(true); // heartbeat
    expect(blockMap.refresh(20_001)).toBe(false); // nothing changed
    const version = blockMap.version;

    await checkpoint(); // no guest I/O: only the chain changed
    expect(blockMap.refresh(20_002)).toBe(true);
    expect(blockMap.version).toBe(version + 1);
    expect(blockMap.cellStates[1]).toBe(layerCellCode(1));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(blockMap.getUiState()).not.toBe(uiBefore);
    expect(blockMap.getUiState().layers.map((layer) => layer.id)).toEqual(['leaf-1']);
    expect(blockMap.refresh(20_003)).toBe(false); // seen once, no more work

    await checkpoint(); // an empty layer on top: the legend lists it, no cell shows it
    blockMap.refresh(20_004);
    expect(blockMap.getUiState().layers.map((layer) => [layer.number, layer.id])).toEqual([
      [1, 'leaf-1'],
      [2, 'leaf-2'],
    ]);
    expect(blockMap.snapshot().layers.map((layer) => layer.cells)).toEqual([1, 0]);
  });

  it('keeps a paused map and its legend as they were; resume shows the new chain', async () => {
    const { blockMap, checkpoint, write } = await setup();
    await write(0, 8);
    blockMap.pause();
    const before = blockMap.snapshot();
    await checkpoint();
    expect(blockMap.refresh(50_000)).toBe(false);
    expect(blockMap.snapshot()).toMatchObject({ cells: before.cells, layers: [] });
    expect(blockMap.getUiState().layers).toEqual([]);
    expect(blockMap.cellInfo(0)?.layer?.id).toBe('leaf-1'); // the card counts now, named by the device's chain
    blockMap.resume();
    expect(blockMap.snapshot()).toMatchObject({ cells: `1${before.cells.slice(1)}`, layers: [{ id: 'leaf-1', cells: 1 }] });
  });

  it('relabels the layers when the owner learns their names, without recounting', async () => {
    const { device, blockMap, checkpoint, write } = await setup();
    await write(0, 1);
    await checkpoint();
    blockMap.refresh(0);
    expect(blockMap.getUiState().layers[0]?.label).toBe('checkpoint leaf-1');
    const listener = vi.fn();
    blockMap.subscribe(listener);
    const recount = vi.spyOn(device, 'sectorLayerCounts');
    blockMap.setLayerLabels((id) => `named ${id}`);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(recount).not.toHaveBeenCalled();
    expect(blockMap.getUiState().layers[0]?.label).toBe('named leaf-1');
    expect(blockMap.snapshot().layers[0]?.label).toBe('named leaf-1');
    expect(blockMap.cellInfo(0)?.servedBy.find((share) => share.layer === 'frozen')?.label).toBe('named leaf-1');
  });

  it('match a per-sector walk over the device at any granularity (random writes and checkpoints)', async () => {
    const stepArb = fc.oneof(
      fc.record({ sector: fc.nat(255), sectors: fc.integer({ min: 1, max: 20 }) }),
      fc.constant('checkpoint' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 14 }), fc.nat(8), fc.nat(255), async (steps, log2, first) => {
        const { device, blockMap, checkpoint, write } = await setup();
        for (const step of steps) {
          if (step === 'checkpoint') await checkpoint();
          else await write(step.sector, Math.min(step.sectors, 256 - step.sector));
          blockMap.showSectors(first, 2 ** log2);
          expect(blockMap.snapshot().cells).toBe(expectedCells(device, blockMap));
        }
        expect(blockMap.snapshot().layers.map((layer) => layer.id)).toEqual(device.layers.map((layer) => layer.id));
        blockMap.dispose();
      }),
      { numRuns: 60 },
    );
  });
});
