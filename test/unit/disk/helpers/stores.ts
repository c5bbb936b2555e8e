/** Leaf stores for Node tests: fresh memory / fake-IndexedDB leaves, and the controllable wrapper. */
// idb recognises requests by the IDB* globals (instanceof IDBRequest), so install them too.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import { MemoryLeafBacking, MemoryLeafStore, type MemoryLeafBackingOptions } from '@/lib/disk/memory-leaf-store';
import { idbLeafHandle, type LeafHandle } from './union-model';

export { ControlledStore } from './controlled-store';
export type { LeafHandle };

/** A memory leaf; `crash` lets each transaction in flight commit or vanish as told. */
export function memoryLeaf(options: MemoryLeafBackingOptions = {}): LeafHandle & { backing: MemoryLeafBacking } {
  const backing = new MemoryLeafBacking(options);
  return { kind: 'memory', backing, openStore: () => new MemoryLeafStore(backing), crash: (survives) => backing.crash(survives) };
}

let workspaceCounter = 0;
export function idbLeaf(factory: IDBFactory = new IDBFactory()): LeafHandle {
  const workspace = `ws-${(workspaceCounter += 1)}`;
  return idbLeafHandle(() => new IdbLeafStore({ imageId: 'test-image', storageId: workspace, indexedDB: factory }));
}
