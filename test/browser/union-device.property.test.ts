/**
 * The union device's model test on Chromium's real IndexedDB (Vitest browser mode, Debian's
 * Chromium): the same random operations and pinned examples as in Node, where
 * fake-indexeddb stands in. Real IndexedDB has its own transaction scheduling and
 * structured-clone behaviour; the device must match the plain byte array on it too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import { blockSizeArb, opArb, PINNED_CASES, runModel, type LeafHandle } from '../unit/disk/helpers/union-model';

let workspaceCounter = 0;
function realIdbLeaf(): LeafHandle {
  const workspace = `property-${Date.now()}-${(workspaceCounter += 1)}`;
  return { kind: 'idb', openStore: () => new IdbLeafStore({ imageId: 'browser-test', storageId: workspace }) };
}

describe('UnionDevice on real IndexedDB in Chromium', () => {
  it('runs in Chromium on its native IndexedDB', () => {
    expect(navigator.userAgent).toContain('Chrome/');
    expect(Object.prototype.toString.call(indexedDB)).toBe('[object IDBFactory]');
    expect(Function.prototype.toString.call(IDBFactory)).toContain('[native code]');
  });

  it('behaves like a plain byte array', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), blockSizeArb, async (ops, blockSize) => {
        const leaf = realIdbLeaf();
        try {
          await runModel(leaf, ops, blockSize);
        } finally {
          await leaf.openStore().destroy();
        }
      }),
      { numRuns: 100 },
    );
  });

  for (const [title, ops, blockSize] of PINNED_CASES) {
    it(title, async () => {
      const leaf = realIdbLeaf();
      await runModel(leaf, ops, blockSize);
      await leaf.openStore().destroy();
    });
  }
});
