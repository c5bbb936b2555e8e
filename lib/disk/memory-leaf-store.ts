/**
 * The in-memory twin of `IdbLeafStore`. Its contents live in a `MemoryLeafBacking`, which
 * outlives store instances: closing a store and opening a new one on the same backing is
 * how tests model "reload the page". Data is copied in and out, as IndexedDB's structured
 * clone would, so a caller can never alias stored bytes.
 */
import {
  assertBlockRecords,
  LeafStoreError,
  parseLeafMeta,
  type LeafBlockRecord,
  type LeafMeta,
  type LeafStore,
} from './leaf-store';

export class MemoryLeafBacking {
  meta: LeafMeta | undefined;
  readonly blocks = new Map<number, Uint8Array>();
  readonly sectorMap = new Map<number, Uint8Array>();
}

export class MemoryLeafStore implements LeafStore {
  private opened = false;

  constructor(
    readonly backing: MemoryLeafBacking = new MemoryLeafBacking(),
    readonly name = 'memory-leaf',
  ) {}

  async open(): Promise<void> {
    this.opened = true;
  }

  async readMeta(): Promise<LeafMeta | undefined> {
    this.assertOpen();
    const meta = this.backing.meta;
    return meta === undefined ? undefined : parseLeafMeta(structuredClone(meta), this.name);
  }

  async writeMeta(meta: LeafMeta): Promise<void> {
    this.assertOpen();
    this.backing.meta = structuredClone(meta);
  }

  async loadSectorMap(): Promise<Map<number, Uint8Array>> {
    this.assertOpen();
    return new Map([...this.backing.sectorMap].map(([blockIndex, bitmap]) => [blockIndex, bitmap.slice()]));
  }

  readBlocks(blockIndices: readonly number[]): Promise<Map<number, Uint8Array>> {
    // Snapshot synchronously, before returning: the contract's ordering promise.
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const result = new Map<number, Uint8Array>();
    for (const blockIndex of blockIndices) {
      const data = this.backing.blocks.get(blockIndex);
      if (data) result.set(blockIndex, data.slice());
    }
    return Promise.resolve(result);
  }

  async writeBlocks(records: readonly LeafBlockRecord[]): Promise<void> {
    this.assertOpen();
    assertBlockRecords(records);
    // Validate everything first, then apply in one synchronous step: all or nothing.
    for (const { blockIndex, data, validSectors } of records) {
      this.backing.blocks.set(blockIndex, data.slice());
      this.backing.sectorMap.set(blockIndex, validSectors.slice());
    }
  }

  async destroy(): Promise<void> {
    this.backing.meta = undefined;
    this.backing.blocks.clear();
    this.backing.sectorMap.clear();
    this.opened = false;
  }

  close(): void {
    this.opened = false;
  }

  private assertOpen(): void {
    if (!this.opened) {
      throw new LeafStoreError('unavailable', `The workspace ${this.name} is closed; reopen it to continue.`);
    }
  }
}
