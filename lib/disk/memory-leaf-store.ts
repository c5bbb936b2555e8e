/**
 * The in-memory twin of `IdbLeafStore`. Its contents live in a `MemoryLeafBacking`, which
 * outlives store instances: closing a store and opening a new one on the same backing is
 * how tests model "reload the page", and `backing.crash()` how they model a killed tab.
 * Data is copied in and out, as IndexedDB's structured clone would, so a caller can never
 * alias stored bytes.
 */
import {
  assertBlockRecords,
  emptyLeafStoreCounters,
  LeafStoreError,
  metaBytes,
  parseLeafMeta,
  recordSectorsPerBlock,
  type LeafBlockRecord,
  type LeafMeta,
  type LeafStore,
} from './leaf-store';
import { PAGE_BYTES, pagesOfBlocks, pagesWithBlocks, SectorMap } from './sector-pages';

export interface MemoryLeafBackingOptions {
  /**
   * Time between a transaction starting and committing. Default: none (it commits a few
   * microtasks after it starts). Tests slow it down so that a crash finds transactions in
   * flight and reads interleave with commits.
   */
  commitLatency?: () => Promise<void>;
}

interface MemoryTransaction {
  readonly records: readonly LeafBlockRecord[];
  readonly meta: LeafMeta | undefined;
}

export class MemoryLeafBacking {
  meta: LeafMeta | undefined;
  readonly blocks = new Map<number, Uint8Array>();
  /** pageIndex → the page's sector bits, as IdbLeafStore's `sectorPages` store holds them. */
  readonly sectorPages = new Map<number, Uint8Array>();
  /** Bumped by `crash` and `wipe`: stores opened before are dead from then on. */
  generation = 0;
  /** Started, not yet committed, in start order. */
  private readonly inFlight = new Set<MemoryTransaction>();
  private lastCommit: Promise<void> = Promise.resolve();

  constructor(private readonly options: MemoryLeafBackingOptions = {}) {}

  /** Transactions started and not yet committed (what a crash now would decide about). */
  get transactionsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Runs one atomic transaction (the caller copied and checked its contents). Transactions
   * commit one after another in start order, as IndexedDB runs readwrite transactions with
   * overlapping scopes; resolves once committed, rejects if a crash dropped it.
   */
  commit(records: readonly LeafBlockRecord[], meta: LeafMeta | undefined, storeName: string): Promise<void> {
    const transaction: MemoryTransaction = { records, meta };
    this.inFlight.add(transaction);
    const previous = this.lastCommit;
    const committed = (async () => {
      await previous;
      if (this.options.commitLatency && this.inFlight.has(transaction)) await this.options.commitLatency();
      // A crash decided this transaction's fate already (and applied it if it survived).
      if (!this.inFlight.delete(transaction)) throw deadStoreError(storeName);
      this.apply(transaction);
    })();
    this.lastCommit = committed.catch(() => undefined);
    return committed;
  }

  /**
   * Models a killed tab: the transactions in flight commit whole or vanish, as `survives`
   * decides one by one in start order (once one vanishes, so do all later ones: IndexedDB
   * never commits a transaction before an earlier overlapping one). Every store opened before
   * is dead: its calls reject and nothing it started touches this backing again.
   */
  crash(survives: () => boolean): void {
    let surviving = true;
    for (const transaction of this.inFlight) {
      surviving = surviving && survives();
      if (surviving) this.apply(transaction);
    }
    this.inFlight.clear();
    this.generation += 1;
  }

  /** Deletes everything, dropping transactions in flight (the "reset workspace" action). */
  wipe(): void {
    this.inFlight.clear();
    this.meta = undefined;
    this.blocks.clear();
    this.sectorPages.clear();
    this.generation += 1;
  }

  /** Lays block bitmaps into the stored pages directly, outside any transaction (tests and benches set up leaves with it). */
  setBlockBitmaps(sectorsPerBlock: number, bitmaps: Iterable<readonly [blockIndex: number, bitmap: Uint8Array]>): void {
    for (const [pageIndex, page] of pagesWithBlocks(sectorsPerBlock, bitmaps, this.sectorPages)) {
      if (page.some((byte) => byte !== 0)) this.sectorPages.set(pageIndex, page);
      else this.sectorPages.delete(pageIndex);
    }
  }

  private apply({ records, meta }: MemoryTransaction): void {
    if (meta) this.meta = meta;
    for (const { blockIndex, data } of records) this.blocks.set(blockIndex, data);
    this.setBlockBitmaps(recordSectorsPerBlock(records), records.map(({ blockIndex, validSectors }) => [blockIndex, validSectors] as const));
  }
}

export class MemoryLeafStore implements LeafStore {
  /** The backing's generation when opened; undefined while closed. */
  private openedGeneration: number | undefined;
  /** Counted as IdbLeafStore counts them, so the twin measures the same amplification (no block cache: it is memory). */
  readonly counters = emptyLeafStoreCounters();

  constructor(
    readonly backing: MemoryLeafBacking = new MemoryLeafBacking(),
    readonly name = 'memory-leaf',
  ) {}

  async open(): Promise<void> {
    this.openedGeneration = this.backing.generation;
  }

  async readMeta(): Promise<LeafMeta | undefined> {
    this.assertOpen();
    const meta = this.backing.meta;
    return meta === undefined ? undefined : parseLeafMeta(structuredClone(meta), this.name);
  }

  async loadSectorMap(sectorsPerBlock: number): Promise<SectorMap> {
    this.assertOpen();
    return new SectorMap(sectorsPerBlock, new Map([...this.backing.sectorPages].map(([pageIndex, page]) => [pageIndex, page.slice()])));
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

  writeBlocks(records: readonly LeafBlockRecord[], meta?: LeafMeta): Promise<void> {
    try {
      this.assertOpen();
      assertBlockRecords(records);
    } catch (error) {
      return Promise.reject(error);
    }
    // Copied now: the caller may reuse its arrays while the transaction is in flight.
    const copies = records.map(({ blockIndex, data, validSectors }) => ({ blockIndex, data: data.slice(), validSectors: validSectors.slice() }));
    const bytes =
      copies.reduce((sum, { data }) => sum + data.length, 0) +
      pagesOfBlocks(recordSectorsPerBlock(copies), copies.map(({ blockIndex }) => blockIndex)).size * PAGE_BYTES +
      (meta ? metaBytes(meta) : 0);
    return this.backing.commit(copies, meta === undefined ? undefined : structuredClone(meta), this.name).then(() => {
      this.counters.bytesWritten += bytes;
      this.counters.commits += 1;
    });
  }

  async destroy(): Promise<void> {
    this.backing.wipe();
    this.openedGeneration = undefined;
  }

  close(): void {
    this.openedGeneration = undefined;
  }

  private assertOpen(): void {
    if (this.openedGeneration === undefined) {
      throw new LeafStoreError('unavailable', `The workspace ${this.name} is closed; reopen it to continue.`);
    }
    if (this.openedGeneration !== this.backing.generation) throw deadStoreError(this.name);
  }
}

function deadStoreError(storeName: string): LeafStoreError {
  return new LeafStoreError('unavailable', `The workspace ${storeName} was closed by a crash or a reset; reopen it to continue.`);
}
