/**
 * Model-based property test: the union device must behave exactly like a plain array of
 * bytes (design invariant 1) under random interleavings of reads, writes (awaited or not,
 * 512- or 256-aligned, across block boundaries, up to the last sector) and reopenings
 * (persisted state must survive, invariant 2), for both leaf stores.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRootSource } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';
import { patternBytes } from './helpers/range-server';
import { idbLeaf, memoryLeaf, type LeafHandle } from './helpers/stores';

const DISK_BYTES = 48 * 512; // 48 sectors
const UNITS = DISK_BYTES / 256;
const ROOT_IDENTITY = { id: 'model-root', sizeBytes: DISK_BYTES, sha256: 'a'.repeat(64) };

export type Op =
  | { kind: 'write'; unit: number; units: number; seed: number; awaited: boolean }
  | { kind: 'read'; unit: number; units: number; awaited: boolean }
  | { kind: 'reopen' };

/** Clamps a generated run of 256-byte units to the disk; `whole` rounds it to 512-byte sectors. */
function range(unit: number, units: number, whole: boolean): [number, number] {
  let start = unit;
  let count = Math.max(1, Math.min(units, UNITS - start));
  if (whole) {
    start -= start % 2;
    count = Math.max(2, count + (count % 2));
    count = Math.min(count, UNITS - start);
  }
  return [start * 256, count * 256];
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ unit: fc.nat(UNITS - 1), units: fc.integer({ min: 1, max: 40 }), seed: fc.integer({ min: 1 }), awaited: fc.boolean(), whole: fc.boolean() })
      .map(({ unit, units, seed, awaited, whole }): Op => {
        const [offset, length] = range(unit, units, whole);
        return { kind: 'write', unit: offset / 256, units: length / 256, seed, awaited };
      }),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ unit: fc.nat(UNITS - 1), units: fc.integer({ min: 1, max: 40 }), awaited: fc.boolean(), whole: fc.boolean() })
      .map(({ unit, units, awaited, whole }): Op => {
        const [offset, length] = range(unit, units, whole);
        return { kind: 'read', unit: offset / 256, units: length / 256, awaited };
      }),
  },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'reopen' }) },
);

function firstDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i += 1) {
    if (actual[i] !== expected[i]) return `byte ${i}: ${actual[i]} != ${expected[i]}`;
  }
  return undefined;
}

/** Runs `ops` against a device and the model; throws on the first divergence. */
export async function runModel(leaf: LeafHandle, ops: readonly Op[], blockSizeBytes: number): Promise<void> {
  const rootBytes = patternBytes(DISK_BYTES, 99);
  const model = rootBytes.slice();
  const root = new MemoryRootSource(rootBytes);
  const open = () => UnionDevice.open({ root, rootIdentity: ROOT_IDENTITY, store: leaf.openStore(), blockSizeBytes });
  let device = await open();
  let inFlight: Array<Promise<void>> = [];

  const check = (what: string, offset: number, expected: Uint8Array) => (actual: Uint8Array) => {
    const problem = firstDifference(actual, expected);
    if (problem) throw new Error(`${what} at ${offset}: ${problem}`);
  };

  for (const [step, op] of ops.entries()) {
    if (op.kind === 'reopen') {
      await Promise.all(inFlight);
      inFlight = [];
      await device.close();
      device = await open();
      continue;
    }
    const offset = op.unit * 256;
    const length = op.units * 256;
    if (op.kind === 'write') {
      const data = patternBytes(length, op.seed);
      model.set(data, offset);
      const done = device.write(offset, data);
      data.fill(0xee); // the caller reuses its buffer at once (v86 does)
      if (op.awaited) await done;
      else inFlight.push(done);
    } else {
      const done = device.read(offset, length).then(check(`read #${step}`, offset, model.slice(offset, offset + length)));
      if (op.awaited) await done;
      else inFlight.push(done);
    }
  }
  await Promise.all(inFlight);
  check('final read', 0, model)(await device.read(0, DISK_BYTES));
  await device.close();
  const reopened = await open();
  check('read after reopen', 0, model)(await reopened.read(0, DISK_BYTES));
  expect(reopened.counters.pendingWrites).toBe(0);
  await reopened.close();
}

const blockSizeArb = fc.constantFrom(512, 1024, 2048, 4096);

describe('UnionDevice behaves like a plain byte array', () => {
  it('with the in-memory leaf store', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), blockSizeArb, (ops, blockSize) => runModel(memoryLeaf(), ops, blockSize)),
      { numRuns: 300 },
    );
  });

  it('with the IndexedDB leaf store (fake-indexeddb)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), blockSizeArb, (ops, blockSize) => runModel(idbLeaf(), ops, blockSize)),
      { numRuns: 60 },
    );
  });
});

/**
 * Pinned examples. The random runs found no counter-example in the shipped code; these are
 * the counter-examples fast-check produced against deliberately broken variants while the
 * model test was validated (write not copying its input; merge dropping a block's older
 * sectors), plus the 256-byte read-modify-write and pending-read cases spelled out.
 */
describe('UnionDevice pinned examples', () => {
  const cases: Array<[string, Op[], number]> = [
    ['caller reuses its buffer right after write()', [{ kind: 'write', unit: 0, units: 1, seed: 1, awaited: false }], 512],
    [
      'a second write into a block keeps the block\'s older sectors',
      [
        { kind: 'write', unit: 0, units: 1, seed: 1, awaited: false },
        { kind: 'write', unit: 2, units: 1, seed: 1, awaited: false },
      ],
      4096,
    ],
    [
      'overwriting part of a committed multi-sector write',
      [
        { kind: 'write', unit: 0, units: 3, seed: 1, awaited: true },
        { kind: 'write', unit: 0, units: 1, seed: 2, awaited: false },
      ],
      2048,
    ],
    [
      '256-byte writes at both halves of a sector, read while pending',
      [
        { kind: 'write', unit: 5, units: 1, seed: 3, awaited: false },
        { kind: 'read', unit: 4, units: 2, awaited: false },
        { kind: 'write', unit: 4, units: 1, seed: 4, awaited: false },
        { kind: 'read', unit: 4, units: 4, awaited: false },
      ],
      1024,
    ],
    [
      'last sector of the disk, across a block boundary, then reopen',
      [
        { kind: 'write', unit: UNITS - 5, units: 5, seed: 5, awaited: false },
        { kind: 'reopen' },
        { kind: 'read', unit: UNITS - 6, units: 6, awaited: true },
      ],
      1024,
    ],
  ];
  for (const [title, ops, blockSize] of cases) {
    it(`${title} (memory)`, () => runModel(memoryLeaf(), ops, blockSize));
    it(`${title} (IndexedDB)`, () => runModel(idbLeaf(), ops, blockSize));
  }
});
