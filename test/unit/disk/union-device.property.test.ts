/**
 * Model-based property test (see helpers/union-model.ts): the union device must behave
 * exactly like a plain byte array (design invariant 1), keep a prefix of its writes with
 * every acknowledged one across crashes (invariant 2), and handle injected commit failures,
 * transient and asynchronous quota aborts, a slow root and the pending-memory bound, with
 * production 32 KiB blocks. The same model runs on Chromium's real IndexedDB in test/browser/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelCoverage, nextTurn, opArb, PINNED_CASES, runModel, runParamsArb } from './helpers/union-model';
import { idbLeaf, memoryLeaf } from './helpers/stores';

/** A store whose commits take 0-5 event-loop turns, so crashes find transactions in flight. */
function slowMemoryLeaf() {
  let state = 1;
  return memoryLeaf({
    commitLatency: async () => {
      state = (state * 48271) % 2147483647; // Lehmer: the same latencies on every replay
      for (let turns = state % 6; turns > 0; turns -= 1) await nextTurn();
    },
  });
}

describe('UnionDevice behaves like a plain byte array that survives crashes', () => {
  it('with the in-memory leaf store', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 40, size: 'max' }), runParamsArb, (ops, params) => runModel(slowMemoryLeaf(), ops, params)),
      { numRuns: 150 },
    );
    // The runs reached every case the model is about (not a vacuous pass).
    for (const [what, count] of Object.entries(modelCoverage)) expect(count, what).toBeGreaterThan(0);
  });

  it('with the IndexedDB leaf store (fake-indexeddb)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 25, size: 'max' }), runParamsArb, (ops, params) => runModel(idbLeaf(), ops, params)),
      { numRuns: 30 },
    );
  });
});

describe('UnionDevice pinned examples', () => {
  for (const [title, ops, params] of PINNED_CASES) {
    it(`${title} (memory)`, () => runModel(slowMemoryLeaf(), ops, params));
    it(`${title} (IndexedDB)`, () => runModel(idbLeaf(), ops, params));
  }
});
