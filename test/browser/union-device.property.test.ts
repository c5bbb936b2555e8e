/**
 * The union device's model test on Chromium's real IndexedDB (Vitest browser mode, Debian's
 * Chromium): the same random operations and pinned examples as in Node (crashes, injected
 * commit failures and aborts, an asynchronous quota abort, a slow root, the pending-memory
 * bound, production 4 KiB blocks). Real IndexedDB has its own transaction scheduling,
 * durability and structured-clone behaviour; a crash closes the connection and lets the
 * browser finish or drop the transaction in flight on its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import { idbLeafHandle, modelCoverage, opArb, PINNED_CASES, runModel, runParamsArb, type LeafHandle } from '../unit/disk/helpers/union-model';

let workspaceCounter = 0;
function realIdbLeaf(): LeafHandle {
  const storageId = `property-${Date.now()}-${(workspaceCounter += 1)}`;
  return idbLeafHandle(() => new IdbLeafStore({ imageId: 'browser-test', storageId }));
}

async function runAndDelete(ops: Parameters<typeof runModel>[1], params: Parameters<typeof runModel>[2]): Promise<void> {
  const leaf = realIdbLeaf();
  try {
    await runModel(leaf, ops, params);
  } finally {
    await leaf.openStore().destroy();
  }
}

describe('UnionDevice on real IndexedDB in Chromium', () => {
  it('runs in Chromium on its native IndexedDB', () => {
    expect(navigator.userAgent).toContain('Chrome/');
    expect(Object.prototype.toString.call(indexedDB)).toBe('[object IDBFactory]');
    expect(Function.prototype.toString.call(IDBFactory)).toContain('[native code]');
  });

  it('behaves like a plain byte array that survives crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 40, size: 'max' }), runParamsArb, runAndDelete),
      { numRuns: 100 },
    );
    // The runs reached every case the model is about (not a vacuous pass).
    for (const [what, count] of Object.entries(modelCoverage)) expect(count, what).toBeGreaterThan(0);
  });

  for (const [title, ops, params] of PINNED_CASES) {
    it(title, () => runAndDelete(ops, params));
  }
});
