/**
 * Model-based property test: the union device must behave exactly like a plain array of
 * bytes (design invariant 1) under random interleavings of reads, writes (awaited or not,
 * 512- or 256-aligned, across block boundaries, up to the last sector) and reopenings
 * (persisted state must survive, invariant 2), for both leaf stores. The same model runs on
 * Chromium's real IndexedDB in test/browser/.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { blockSizeArb, opArb, PINNED_CASES, runModel } from './helpers/union-model';
import { idbLeaf, memoryLeaf } from './helpers/stores';

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

describe('UnionDevice pinned examples', () => {
  for (const [title, ops, blockSize] of PINNED_CASES) {
    it(`${title} (memory)`, () => runModel(memoryLeaf(), ops, blockSize));
    it(`${title} (IndexedDB)`, () => runModel(idbLeaf(), ops, blockSize));
  }
});
