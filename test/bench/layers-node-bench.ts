/**
 * Layer benchmarks in Node (issue #10), on the real union device over in-memory stores:
 *
 *   checkpoint  `device.checkpoint` on a live leaf mapping 1k, 10k and 100k blocks of a 4 GiB
 *               disk. It copies no block; what it does is copy the chain's per-sector index
 *               (O(sectors): 8 Mi sectors here, timed alone for comparison) and mark the frozen
 *               leaf's sectors in it, so it should grow little with the block count.
 *   open        flattening a chain of 5 layers × 20k fully written 32 KiB blocks (100k blocks,
 *               overlapping) over a 4 GiB root: LayerChain.flatten, and UnionDevice.open.
 *   read path   the same reads, sequential and random, on two devices holding the same bytes:
 *               one plain leaf, and 5 checkpoints + a leaf (the same writes, checkpointed after
 *               each of the first 5 phases). Chain time / plain time, target ≤ 1.05×.
 *
 * The root's bytes are synthesised on read (lazy-root-source.ts), so no 4 GiB is held. Each
 * figure is a median with its range over the rounds (after one warm-up round); read pairs
 * alternate their order.
 */
import { checkpointLayer } from '../../lib/disk/checkpoint-layer';
import type { FrozenLayer } from '../../lib/disk/frozen-layer';
import { LayerChain } from '../../lib/disk/layer-chain';
import { SECTOR_SIZE_BYTES, type LeafMeta, type RootIdentity } from '../../lib/disk/leaf-store';
import { MemoryLeafBacking, MemoryLeafStore } from '../../lib/disk/memory-leaf-store';
import { DEFAULT_BLOCK_SIZE_BYTES, UnionDevice } from '../../lib/disk/union-device';
import { LazyRootSource } from './lazy-root-source';

/** One row of the layers table: a figure per round, with its unit and target. */
export interface LayerFigure {
  label: string;
  unit: string;
  target: string;
  values: number[];
  digits: number;
}

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
const BLOCK_BYTES = DEFAULT_BLOCK_SIZE_BYTES;
const SECTORS_PER_BLOCK = BLOCK_BYTES / SECTOR_SIZE_BYTES;
const CHAIN_DEPTH = 5;
const BIG_DISK_BYTES = 4 * GIB;
const CHECKPOINT_BLOCK_COUNTS = [1_000, 10_000, 100_000];
const OPEN_BLOCKS_PER_LAYER = 20_000;
/** Each layer of the open test starts this many blocks above the one below, so they overlap. */
const OPEN_LAYER_STRIDE_BLOCKS = 15_000;

const READ_DISK_BYTES = 256 * MIB;
/** Writes land in the first half of the read disk; reads cover more, so they also hit bare root. */
const WRITTEN_SPAN_BYTES = 128 * MIB;
const WRITES_PER_PHASE = 400;
const SEQUENTIAL_READ_SPAN_BYTES = 160 * MIB;
const SEQUENTIAL_READ_BYTES = 64 * 1024;
const RANDOM_READ_SPAN_BYTES = 192 * MIB;
const RANDOM_READ_BYTES = 4096;
const RANDOM_READ_COUNT = 4096;
/** Plain/chain pairs per round; a round's ratio is the median of its pairs'. */
const READ_PAIRS_PER_ROUND = 5;

function rootIdentity(sizeBytes: number): RootIdentity {
  return { id: 'bench-root', sizeBytes, sha256: 'b'.repeat(64) };
}

function fullBitmap(): Uint8Array {
  return new Uint8Array(SECTORS_PER_BLOCK / 8).fill(0xff);
}

/** xorshift32: the same seed, the same offsets, for both devices and every round. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

// ── checkpoint ───────────────────────────────────────────────────────────────

/**
 * A device on a 4 GiB disk whose live leaf already maps `mappedBlocks` full blocks spread over
 * the disk. The leaf is put straight into its backing (3 GiB of guest writes would take long
 * and prove nothing more: the checkpoint reads no block data), all blocks sharing one buffer.
 */
async function deviceWithLeafOf(mappedBlocks: number): Promise<UnionDevice> {
  const root = rootIdentity(BIG_DISK_BYTES);
  const backing = new MemoryLeafBacking();
  const meta: LeafMeta = { formatVersion: 1, root, sectorSizeBytes: SECTOR_SIZE_BYTES, blockSizeBytes: BLOCK_BYTES, createdAt: 0 };
  backing.meta = meta;
  const sharedData = new Uint8Array(BLOCK_BYTES);
  const diskBlocks = BIG_DISK_BYTES / BLOCK_BYTES;
  const bitmaps: Array<[number, Uint8Array]> = [];
  for (let i = 0; i < mappedBlocks; i += 1) {
    const blockIndex = Math.floor((i * diskBlocks) / mappedBlocks);
    backing.blocks.set(blockIndex, sharedData);
    bitmaps.push([blockIndex, fullBitmap()]);
  }
  backing.setBlockBitmaps(BLOCK_BYTES / SECTOR_SIZE_BYTES, bitmaps);
  return UnionDevice.open({ root: new LazyRootSource(BIG_DISK_BYTES), rootIdentity: root, store: new MemoryLeafStore(backing, 'bench-live'), leafId: 'bench-live' });
}

async function checkpointMs(mappedBlocks: number): Promise<number> {
  const device = await deviceWithLeafOf(mappedBlocks);
  try {
    const startedAt = performance.now();
    await device.checkpoint(new MemoryLeafStore(undefined, 'bench-next'), 'bench-next', async () => undefined);
    const ms = performance.now() - startedAt;
    if (device.layers.length !== 1 || device.counters.frozenSectors !== mappedBlocks * SECTORS_PER_BLOCK) {
      throw new Error(`checkpoint of ${mappedBlocks} blocks froze ${device.counters.frozenSectors} sectors, not ${mappedBlocks * SECTORS_PER_BLOCK}`);
    }
    return ms;
  } finally {
    await device.close();
  }
}

/** The O(sectors) floor of a checkpoint: copying the per-sector index of the 4 GiB disk. */
function indexCopyMs(): number {
  const index = new Uint8Array(BIG_DISK_BYTES / SECTOR_SIZE_BYTES);
  const startedAt = performance.now();
  const copy = index.slice();
  const ms = performance.now() - startedAt;
  if (copy.length !== index.length) throw new Error('index copy lost bytes');
  return ms;
}

// ── open ─────────────────────────────────────────────────────────────────────

/** 5 checkpoint layers of 20k full blocks each, bottom first, each on the one below. */
function openChainLayers(): FrozenLayer[] {
  const root = rootIdentity(BIG_DISK_BYTES);
  const layers: FrozenLayer[] = [];
  for (let k = 0; k < CHAIN_DEPTH; k += 1) {
    const sectorMap = new Map<number, Uint8Array>();
    for (let i = 0; i < OPEN_BLOCKS_PER_LAYER; i += 1) sectorMap.set(k * OPEN_LAYER_STRIDE_BLOCKS + i, fullBitmap());
    const id = `bench-layer-${k + 1}`;
    const meta = { root, blockSizeBytes: BLOCK_BYTES, parentLayerId: layers[k - 1]?.id };
    layers.push(checkpointLayer(id, new MemoryLeafStore(undefined, id), meta, sectorMap));
  }
  return layers;
}

function flattenMs(): number {
  const layers = openChainLayers();
  const startedAt = performance.now();
  const chain = LayerChain.flatten(layers, rootIdentity(BIG_DISK_BYTES), BLOCK_BYTES);
  const ms = performance.now() - startedAt;
  if (chain.layers.length !== CHAIN_DEPTH) throw new Error(`flatten kept ${chain.layers.length} of ${CHAIN_DEPTH} layers`);
  return ms;
}

async function openMs(): Promise<number> {
  const chain = openChainLayers();
  const root = rootIdentity(BIG_DISK_BYTES);
  const startedAt = performance.now();
  const device = await UnionDevice.open({ root: new LazyRootSource(BIG_DISK_BYTES), rootIdentity: root, store: new MemoryLeafStore(undefined, 'bench-leaf'), chain });
  const ms = performance.now() - startedAt;
  const servedSectors = device.counters.frozenSectors;
  await device.close();
  const expected = (OPEN_LAYER_STRIDE_BLOCKS * (CHAIN_DEPTH - 1) + OPEN_BLOCKS_PER_LAYER) * SECTORS_PER_BLOCK;
  if (servedSectors !== expected) throw new Error(`the opened chain serves ${servedSectors} sectors, not ${expected}`);
  return ms;
}

// ── read path ────────────────────────────────────────────────────────────────

interface PlannedWrite {
  offsetBytes: number;
  data: Uint8Array;
}

/** 6 phases of writes (5 to be checkpointed, 1 left in the leaf), 4–64 KiB each, overlapping. */
function plannedWrites(): PlannedWrite[][] {
  const random = seededRandom(10);
  const pageBytes = 4096;
  return Array.from({ length: CHAIN_DEPTH + 1 }, (_, phase) =>
    Array.from({ length: WRITES_PER_PHASE }, (_unused, i) => {
      const lengthBytes = (1 + Math.floor(random() * 16)) * pageBytes;
      const offsetBytes = Math.floor(random() * ((WRITTEN_SPAN_BYTES - lengthBytes) / pageBytes)) * pageBytes;
      return { offsetBytes, data: new Uint8Array(lengthBytes).fill((phase * 37 + i + 1) & 0xff) };
    }),
  );
}

interface ReadDevices {
  plain: UnionDevice;
  chained: UnionDevice;
  /** What the chained device's read span is served by, for the table's label. */
  mix: string;
}

async function readDevices(): Promise<ReadDevices> {
  const root = rootIdentity(READ_DISK_BYTES);
  const open = (name: string) =>
    UnionDevice.open({ root: new LazyRootSource(READ_DISK_BYTES), rootIdentity: root, store: new MemoryLeafStore(undefined, name), leafId: name });
  const plain = await open('bench-plain');
  const chained = await open('bench-chain-0');
  const phases = plannedWrites();
  for (const [phase, writes] of phases.entries()) {
    await Promise.all(writes.flatMap(({ offsetBytes, data }) => [plain.write(offsetBytes, data), chained.write(offsetBytes, data)]));
    if (phase < CHAIN_DEPTH) {
      const nextId = `bench-chain-${phase + 1}`;
      await chained.checkpoint(new MemoryLeafStore(undefined, nextId), nextId, async () => undefined);
    }
  }
  // Both must read as the same disk, or the comparison means nothing.
  for (let offsetBytes = 0; offsetBytes < READ_DISK_BYTES; offsetBytes += 4 * MIB) {
    const [a, b] = await Promise.all([plain.read(offsetBytes, 4 * MIB), chained.read(offsetBytes, 4 * MIB)]);
    if (Buffer.compare(a, b) !== 0) throw new Error(`the plain and the chained device differ in the 4 MiB at ${offsetBytes}`);
  }
  const counts = chained.sectorLayerCounts(0, SEQUENTIAL_READ_SPAN_BYTES / SECTOR_SIZE_BYTES);
  const total = SEQUENTIAL_READ_SPAN_BYTES / SECTOR_SIZE_BYTES;
  const frozen = counts.frozenSectors.reduce((sum, n) => sum + n, 0);
  const percent = (n: number) => `${((100 * n) / total).toFixed(0)}%`;
  const mix = `${percent(counts.rootCachedSectors + counts.zeroSectors + counts.rootSectors)} root, ${percent(frozen)} layers, ${percent(counts.leafSectors)} leaf`;
  return { plain, chained, mix };
}

type ReadPass = (device: UnionDevice) => Promise<void>;

const sequentialPass: ReadPass = async (device) => {
  for (let offsetBytes = 0; offsetBytes < SEQUENTIAL_READ_SPAN_BYTES; offsetBytes += SEQUENTIAL_READ_BYTES) {
    await device.read(offsetBytes, SEQUENTIAL_READ_BYTES);
  }
};

const randomPass: ReadPass = async (device) => {
  const random = seededRandom(20);
  for (let i = 0; i < RANDOM_READ_COUNT; i += 1) {
    const offsetBytes = Math.floor(random() * (RANDOM_READ_SPAN_BYTES / RANDOM_READ_BYTES)) * RANDOM_READ_BYTES;
    await device.read(offsetBytes, RANDOM_READ_BYTES);
  }
};

async function timed(pass: ReadPass, device: UnionDevice): Promise<number> {
  const startedAt = performance.now();
  await pass(device);
  return performance.now() - startedAt;
}

interface ReadRound {
  plainMs: number;
  chainMs: number;
  ratio: number;
}

/** Pairs of passes, plain first in even pairs and chain first in odd ones. */
async function readRound(devices: ReadDevices, pass: ReadPass, round: number): Promise<ReadRound> {
  const pairs: ReadRound[] = [];
  for (let pair = 0; pair < READ_PAIRS_PER_ROUND; pair += 1) {
    let plainMs: number;
    let chainMs: number;
    if ((round + pair) % 2 === 0) {
      plainMs = await timed(pass, devices.plain);
      chainMs = await timed(pass, devices.chained);
    } else {
      chainMs = await timed(pass, devices.chained);
      plainMs = await timed(pass, devices.plain);
    }
    pairs.push({ plainMs, chainMs, ratio: chainMs / plainMs });
  }
  const byRatio = [...pairs].sort((a, b) => a.ratio - b.ratio);
  return byRatio[Math.floor(byRatio.length / 2)]!;
}

// ── the part ─────────────────────────────────────────────────────────────────

export async function nodeLayerBench(rounds: number): Promise<LayerFigure[]> {
  const checkpoints = new Map(CHECKPOINT_BLOCK_COUNTS.map((count) => [count, [] as number[]]));
  const indexCopies: number[] = [];
  const flattens: number[] = [];
  const opens: number[] = [];
  const devices = await readDevices();
  const sequential: ReadRound[] = [];
  const random: ReadRound[] = [];
  try {
    const scenarios: Array<(round: number) => Promise<void>> = [
      async () => {
        for (const count of CHECKPOINT_BLOCK_COUNTS) checkpoints.get(count)!.push(await checkpointMs(count));
        indexCopies.push(indexCopyMs());
      },
      async () => {
        flattens.push(flattenMs());
        opens.push(await openMs());
      },
      async (round) => {
        sequential.push(await readRound(devices, sequentialPass, round));
      },
      async (round) => {
        random.push(await readRound(devices, randomPass, round));
      },
    ];
    // One round first to warm the JIT up, its figures dropped: the first run of a loop in V8
    // is interpreted and would make round 1 an outlier of its own.
    for (const scenario of scenarios) await scenario(0);
    for (const figures of [...checkpoints.values(), indexCopies, flattens, opens, sequential, random]) figures.length = 0;
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < scenarios.length; i += 1) await scenarios[(round + i) % scenarios.length]!(round);
      console.log(`bench: layers (node) round ${round + 1} of ${rounds} done`);
    }
  } finally {
    await devices.plain.close();
    await devices.chained.close();
  }
  const ms = (label: string, values: number[], target: string): LayerFigure => ({ label, unit: 'ms', target, values, digits: 1 });
  const ratioRows = (what: string, results: ReadRound[]): LayerFigure[] => [
    ms(`node: ${what}, plain leaf`, results.map((r) => r.plainMs), '–'),
    ms(`node: ${what}, ${CHAIN_DEPTH} layers + leaf`, results.map((r) => r.chainMs), '–'),
    { label: `node: ${what}, chain / plain`, unit: '×', target: '≤ 1.05×', values: results.map((r) => r.ratio), digits: 3 },
  ];
  return [
    ...CHECKPOINT_BLOCK_COUNTS.map((count) =>
      ms(`node: checkpoint, live leaf of ${count / 1000}k blocks (4 GiB disk)`, checkpoints.get(count)!, 'O(1) in blocks beyond the index update'),
    ),
    ms('node: index copy alone, 8 Mi sectors (the O(sectors) floor)', indexCopies, '–'),
    ms(`node: LayerChain.flatten, ${CHAIN_DEPTH} layers × ${OPEN_BLOCKS_PER_LAYER / 1000}k blocks (4 GiB disk)`, flattens, '–'),
    ms(`node: UnionDevice.open of that chain`, opens, '–'),
    ...ratioRows(`sequential ${SEQUENTIAL_READ_SPAN_BYTES / MIB} MiB in ${SEQUENTIAL_READ_BYTES / 1024} KiB reads (${devices.mix})`, sequential),
    ...ratioRows(`random ${RANDOM_READ_COUNT} × ${RANDOM_READ_BYTES / 1024} KiB reads over ${RANDOM_READ_SPAN_BYTES / MIB} MiB`, random),
  ];
}
