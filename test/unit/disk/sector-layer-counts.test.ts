/**
 * UnionDevice.sectorLayerCounts must agree with a per-sector loop over layerOfSector, for any
 * range, block size, root chunk size (multiples of 512 or not) and mix of pending (queued and
 * in flight), committed and root sectors; and be fast enough for the block map.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSource } from '@/lib/disk/range-source';
import type { RootLayer, RootSource } from '@/lib/disk/root-source';
import { countSectorsInRange, hasSector } from '@/lib/disk/sector-bitmap';
import { emptySectorLayerCounts, nextChunkFirstSector, type SectorLayerCounts } from '@/lib/disk/sector-layer-counts';
import { UnionDevice, type SectorLayer } from '@/lib/disk/union-device';
import { LayeredRoot } from './helpers/layered-root';
import { patternBytes, startRangeServer, type RangeServer } from './helpers/range-server';
import { ControlledStore, memoryLeaf } from './helpers/stores';

type ScalarCount = Exclude<keyof SectorLayerCounts, 'frozenSectors'>;
const KEY: Record<Exclude<SectorLayer, 'frozen'>, ScalarCount> = {
  pending: 'pendingSectors',
  leaf: 'leafSectors',
  zero: 'zeroSectors',
  'root-cached': 'rootCachedSectors',
  root: 'rootSectors',
};

/** The reference: one layerOfSector call per sector. */
function countBySector(device: UnionDevice, firstSector: number, endSector: number): SectorLayerCounts {
  const counts = emptySectorLayerCounts();
  for (let sector = firstSector; sector < endSector; sector += 1) {
    const layer = device.layerOfSector(sector);
    if (layer !== 'frozen') {
      counts[KEY[layer]] += 1;
      continue;
    }
    const layerNumber = device.layers.findIndex((frozen) => frozen.id === device.layerIdOfSector(sector)) + 1;
    counts.frozenSectors[layerNumber - 1] = (counts.frozenSectors[layerNumber - 1] ?? 0) + 1;
  }
  return counts;
}

function expectSameCounts(device: UnionDevice, firstSector: number, endSector: number): void {
  const fast = device.sectorLayerCounts(firstSector, endSector);
  const slow = countBySector(device, firstSector, endSector);
  if (JSON.stringify(fast) !== JSON.stringify(slow)) {
    throw new Error(`sectors [${firstSector}, ${endSector}): fast ${JSON.stringify(fast)} != per-sector ${JSON.stringify(slow)}`);
  }
}

async function openDevice(root: RootSource, blockSizeBytes: number, store = new ControlledStore(memoryLeaf().openStore())) {
  const rootIdentity = { id: 'layers', sizeBytes: root.sizeBytes, sha256: 'c'.repeat(64) };
  const device = await UnionDevice.open({ root, rootIdentity, store, blockSizeBytes });
  return { device, store };
}

const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('bitmap and chunk helpers', () => {
  it('countSectorsInRange counts the marked sectors of any sub-range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 10 }), fc.nat(), fc.nat(), (bitmap, a, b) => {
        const bits = bitmap.length * 8;
        const [from, to] = [a % (bits + 1), b % (bits + 1)].sort((x, y) => x - y) as [number, number];
        let expected = 0;
        for (let s = from; s < to; s += 1) if (hasSector(bitmap, s)) expected += 1;
        expect(countSectorsInRange(bitmap, from, to)).toBe(expected);
      }),
    );
  });

  it('nextChunkFirstSector ends a run of sectors whose first bytes share a chunk', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.integer({ min: 1, max: 5000 }), (sector, chunkSizeBytes) => {
        const chunkOf = (s: number) => Math.floor((s * 512) / chunkSizeBytes);
        const next = nextChunkFirstSector(sector, chunkSizeBytes);
        expect(next).toBeGreaterThan(sector);
        expect(chunkOf(next - 1)).toBe(chunkOf(sector));
        expect(chunkOf(next)).toBeGreaterThan(chunkOf(sector));
      }),
    );
  });
});

type Op =
  | { kind: 'write'; sector: number; sectors: number; awaited: boolean }
  | { kind: 'hold' }
  | { kind: 'release' }
  | { kind: 'settle' }
  | { kind: 'set-layer'; chunk: number; layer: RootLayer }
  | { kind: 'check'; a: number; b: number };

const layerArb = fc.constantFrom<RootLayer>('zero', 'cached', 'remote');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      sector: fc.nat(),
      sectors: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 80 })),
      awaited: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'hold' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'release' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'settle' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set-layer' as const), chunk: fc.nat(), layer: layerArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('check' as const), a: fc.nat(), b: fc.nat() }) },
);

interface Scenario {
  sectorCount: number;
  blockSizeBytes: number;
  chunkSizeBytes: number;
  layers: RootLayer[];
  ops: Op[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  sectorCount: fc.integer({ min: 1, max: 300 }),
  blockSizeBytes: fc.constantFrom(512, 1024, 4096, 8192, 32768),
  chunkSizeBytes: fc.constantFrom(256, 512, 768, 1024, 1536, 4096, 5000, 65536),
  layers: fc.array(layerArb, { minLength: 1, maxLength: 12 }),
  ops: fc.array(opArb, { maxLength: 30 }),
});

/** Applies the ops, checking the given ranges and, after every op, the whole disk. */
async function runScenario({ sectorCount, blockSizeBytes, chunkSizeBytes, layers, ops }: Scenario): Promise<void> {
  const root = new LayeredRoot(sectorCount * 512, chunkSizeBytes, layers);
  const { device, store } = await openDevice(root, blockSizeBytes);
  const writes: Array<Promise<void>> = [];
  let held = false; // while commits are held, awaiting a write would wait forever
  for (const op of ops) {
    switch (op.kind) {
      case 'write': {
        const sector = op.sector % sectorCount;
        const sectors = Math.min(op.sectors, sectorCount - sector);
        const done = device.write(sector * 512, patternBytes(sectors * 512, sector + 1));
        if (op.awaited && !held) await done;
        else writes.push(done);
        break;
      }
      case 'hold':
        if (!held) store.hold(); // a second hold() would orphan the first gate
        held = true;
        break;
      case 'release':
        store.release();
        held = false;
        break;
      case 'settle':
        await flushMicrotasks();
        break;
      case 'set-layer':
        root.layers[op.chunk % root.layers.length] = op.layer;
        break;
      case 'check': {
        const [first, end] = [op.a % (sectorCount + 1), op.b % (sectorCount + 1)].sort((x, y) => x - y) as [number, number];
        expectSameCounts(device, first, end);
        break;
      }
    }
    expectSameCounts(device, 0, sectorCount);
  }
  store.release();
  await Promise.all(writes);
  expectSameCounts(device, 0, sectorCount);
  await device.close();
}

/**
 * The random runs found no counter-example in the shipped code; these are what fast-check
 * produced against deliberately broken variants while the property was validated.
 */
const PINNED: Array<[title: string, scenario: Scenario]> = [
  [
    'chunks smaller than a sector, several in one block (segments must stop at chunk boundaries)',
    { sectorCount: 2, blockSizeBytes: 32768, chunkSizeBytes: 256, layers: ['zero', 'zero', 'remote'], ops: [] },
  ],
  [
    'a chunk boundary inside a block (off by one at the boundary)',
    { sectorCount: 3, blockSizeBytes: 4096, chunkSizeBytes: 1024, layers: ['zero', 'cached'], ops: [] },
  ],
  [
    'pending sectors of one block split between the batch in flight and the queued one',
    {
      sectorCount: 2,
      blockSizeBytes: 32768,
      chunkSizeBytes: 256,
      layers: ['zero'],
      ops: [
        { kind: 'hold' },
        { kind: 'write', sector: 0, sectors: 1, awaited: false },
        { kind: 'settle' },
        { kind: 'write', sector: 1, sectors: 1, awaited: false },
      ],
    },
  ],
  [
    'a committed sector at the end of a one-sector range',
    { sectorCount: 1, blockSizeBytes: 512, chunkSizeBytes: 256, layers: ['zero'], ops: [{ kind: 'write', sector: 0, sectors: 1, awaited: true }] },
  ],
];

describe('UnionDevice.sectorLayerCounts', () => {
  it('agrees with a per-sector loop over layerOfSector (random scenarios)', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: 300 });
  });

  for (const [title, scenario] of PINNED) it(`pinned: ${title}`, () => runScenario(scenario));

  it('agrees over a real RangeSource (zero chunks, cached, evicted and remote chunks)', async () => {
    const CHUNK = 1024;
    const image = patternBytes(64 * CHUNK, 3);
    const server: RangeServer = await startRangeServer(image);
    try {
      const root = new RangeSource({
        url: server.url,
        sizeBytes: image.length,
        etag: server.etag,
        chunkDigests: server.chunkDigests(CHUNK),
        chunkSizeBytes: CHUNK,
        zeroChunks: [[4, 3], [40, 1]],
        maxReadaheadChunks: 4,
        cacheBudgetBytes: 8 * CHUNK, // small: reads evict older chunks
        retryBaseDelayMs: 1,
      });
      const { device } = await openDevice(root, 4096);
      const sectorCount = device.sectorCount;
      await device.read(0, 3 * CHUNK);
      await device.read(20 * CHUNK, 6 * CHUNK);
      await device.write(21 * CHUNK, new Uint8Array(8 * 512)); // a whole 4 KiB block
      await device.write(30 * CHUNK + 512, new Uint8Array(512));
      const pending = device.write(50 * CHUNK, new Uint8Array(3 * 512)); // in the overlay until committed
      const counts = device.sectorLayerCounts(0, sectorCount);
      expect(counts).toEqual(countBySector(device, 0, sectorCount));
      expect(counts.pendingSectors).toBe(3);
      expect(counts.zeroSectors).toBe(4 * 2);
      expect(counts.rootCachedSectors).toBeGreaterThan(0);
      await pending;
      for (let first = 0; first < sectorCount; first += 37) expectSameCounts(device, first, Math.min(sectorCount, first + 91));
      expect(device.sectorLayerCounts(0, sectorCount).leafSectors).toBe(8 + 1 + 3);
      await device.close();
    } finally {
      await server.close();
    }
  });

  it('rejects ranges outside the disk', async () => {
    const { device } = await openDevice(new LayeredRoot(8 * 512, 1024), 1024);
    expect(() => device.sectorLayerCounts(0, 9)).toThrow(RangeError);
    expect(() => device.sectorLayerCounts(5, 4)).toThrow(RangeError);
    expect(() => device.sectorLayerCounts(-1, 2)).toThrow(RangeError);
    expect(device.sectorLayerCounts(3, 3)).toEqual(emptySectorLayerCounts());
  });

  it('classifies a 128 MiB disk into 4096 cells in a few milliseconds', async () => {
    const sectorCount = 262_144;
    const root = new LayeredRoot(sectorCount * 512, 64 * 1024, ['remote', 'cached', 'zero', 'cached']);
    const { device } = await openDevice(root, 32 * 1024);
    // 2000 scattered committed writes (4 KiB, as Linux writes), some of them whole blocks.
    for (let i = 0; i < 2000; i += 1) {
      const sector = (i * 7919 * 8) % (sectorCount - 64);
      void device.write(sector * 512, new Uint8Array(i % 10 === 0 ? 64 * 512 : 8 * 512));
    }
    await device.flush();
    const sectorsPerCell = sectorCount / 4096;
    const classify = () => {
      let leaf = 0;
      for (let cell = 0; cell < 4096; cell += 1) {
        leaf += device.sectorLayerCounts(cell * sectorsPerCell, (cell + 1) * sectorsPerCell).leafSectors;
      }
      return leaf;
    };
    classify(); // warm up the JIT
    const started = performance.now();
    const rounds = 10;
    for (let i = 0; i < rounds; i += 1) classify();
    const perClassificationMs = (performance.now() - started) / rounds;
    expect(classify()).toBe(device.counters.leafSectors);
    // Measured ~1 ms on the development machine; the bound leaves room for a loaded CI runner.
    expect(perClassificationMs).toBeLessThan(40);
  });
});
