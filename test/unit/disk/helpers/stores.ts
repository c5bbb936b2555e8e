/** Leaf stores for tests: fresh memory / fake-IndexedDB leaves, and a wrapper that gates or fails commits. */
// idb recognises requests by the IDB* globals (instanceof IDBRequest), so install them too.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import type { LeafBlockRecord, LeafMeta, LeafStore } from '@/lib/disk/leaf-store';
import { MemoryLeafBacking, MemoryLeafStore } from '@/lib/disk/memory-leaf-store';

import type { LeafHandle } from './union-model';

export type { LeafHandle };

export function memoryLeaf(): LeafHandle {
  const backing = new MemoryLeafBacking();
  return { kind: 'memory', openStore: () => new MemoryLeafStore(backing) };
}

let workspaceCounter = 0;
export function idbLeaf(factory: IDBFactory = new IDBFactory()): LeafHandle {
  const workspace = `ws-${(workspaceCounter += 1)}`;
  return { kind: 'idb', openStore: () => new IdbLeafStore({ imageId: 'test-image', storageId: workspace, indexedDB: factory }) };
}

/**
 * Delegates to a real store, but lets a test hold commits (`hold()` / `release()`), fail the
 * next one with a given error, and observe every writeBlocks call.
 */
export class ControlledStore implements LeafStore {
  readonly commits: LeafBlockRecord[][] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private nextFailure: Error | undefined;

  constructor(readonly inner: LeafStore) {}

  get name(): string {
    return this.inner.name;
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  failNextCommit(error: Error): void {
    this.nextFailure = error;
  }

  open(): Promise<void> {
    return this.inner.open();
  }
  readMeta(): Promise<LeafMeta | undefined> {
    return this.inner.readMeta();
  }
  writeMeta(meta: LeafMeta): Promise<void> {
    return this.inner.writeMeta(meta);
  }
  loadSectorMap(): Promise<Map<number, Uint8Array>> {
    return this.inner.loadSectorMap();
  }
  readBlocks(blockIndices: readonly number[]): Promise<Map<number, Uint8Array>> {
    return this.inner.readBlocks(blockIndices);
  }
  async writeBlocks(records: readonly LeafBlockRecord[]): Promise<void> {
    this.commits.push(records.map((r) => ({ ...r, data: r.data.slice(), validSectors: r.validSectors.slice() })));
    if (this.gate) await this.gate;
    const failure = this.nextFailure;
    if (failure) {
      this.nextFailure = undefined;
      throw failure; // nothing reaches the inner store: an atomic failure
    }
    await this.inner.writeBlocks(records);
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
  close(): void {
    this.inner.close();
  }
}
