/**
 * The leaf's write side: writes held in memory (read-your-writes) until the leaf store has
 * committed them, in issue order, one transaction at a time.
 *
 *   queued    writes waiting for the next transaction (newest);
 *   inflight  the batch whose transaction is running;
 *   committed the sector map of what the store holds (a paged bitmap, sector-pages.ts).
 *
 * Group commit: while a transaction runs, new writes pile up in `queued`; when it commits,
 * all of them go in the next one. Each write's promise resolves when its transaction has
 * committed, so they resolve in issue order.
 *
 * Transient aborts (LeafStoreError 'aborted') are retried a bounded number of times with
 * doubling delays: a transaction replaces whole blocks and nothing else changes meanwhile, so
 * repeating it is harmless. Quota errors and everything else fail at once.
 *
 * When a commit fails for good the journal is FAILED: the failing batch's writes and every
 * write queued or added later reject with that error, and nothing is committed any more.
 * Their bytes stay in memory and reads keep seeing them: that is the disk the guest has seen,
 * and "Download disk" rescues it. The store holds what committed before, never part of a
 * failed batch (writeBlocks is atomic).
 *
 * Memory is bounded: `maxPendingBytes` (whole blocks held by `queued` and `inflight`). A write
 * that does not fit waits (`waitForRoom`) until commits make room; a write larger than the
 * bound goes alone, once nothing else is held. Once failed nothing commits any more, so there
 * is no bound: the app pauses the guest on the failure.
 */
import type { LeafBlockRecord, LeafMeta, LeafStore } from './leaf-store';
import { LeafStoreError, SECTOR_SIZE_BYTES } from './leaf-store';
import { PendingOverlay } from './pending-overlay';
import { overlayPendingSectors, requireBlockData } from './sector-merge';
import { coversBitmap, unionBitmaps } from './sector-bitmap';
import type { SectorMap } from './sector-pages';

/** 16 MiB of pending blocks: a few seconds of a guest writing flat out, small for any tab. */
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Retries after a transient abort (so up to 4 attempts), waiting 100, 200, 400 ms. */
export const DEFAULT_COMMIT_RETRIES = 3;
export const DEFAULT_COMMIT_RETRY_DELAY_MS = 100;

export interface WriteJournalOptions {
  store: LeafStore;
  sectorsPerBlock: number;
  /** What the store holds now. The journal owns it from here. */
  committed: SectorMap;
  /** The metadata of a leaf that has nothing stored yet: saved with the first blocks. */
  unsavedMeta: LeafMeta | undefined;
  maxPendingBytes?: number;
  commitRetries?: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  commitRetryDelayMs?: number;
  /** Called once, when the journal fails. */
  onFailure: (error: Error) => void;
}

interface CommitWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface RoomWaiter {
  firstSector: number;
  endSector: number;
  resolve: () => void;
}

export class WriteJournal {
  readonly committed: SectorMap;
  private readonly store: LeafStore;
  private readonly sectorsPerBlock: number;
  private readonly maxPendingBytes: number;
  private readonly commitRetries: number;
  private readonly commitRetryDelayMs: number;
  private readonly onFailure: (error: Error) => void;
  private unsavedMeta: LeafMeta | undefined;

  private queued: PendingOverlay;
  private queuedWaiters: CommitWaiter[] = [];
  /** The batch being committed; after a failure, the failed batch, kept for reads. */
  private inflight: PendingOverlay | undefined;
  private commitScheduled = false;
  private roomWaiters: RoomWaiter[] = [];
  private failureError: Error | undefined;
  private retries = 0;

  constructor(options: WriteJournalOptions) {
    this.store = options.store;
    this.sectorsPerBlock = options.sectorsPerBlock;
    this.committed = options.committed;
    this.unsavedMeta = options.unsavedMeta;
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.commitRetries = options.commitRetries ?? DEFAULT_COMMIT_RETRIES;
    this.commitRetryDelayMs = options.commitRetryDelayMs ?? DEFAULT_COMMIT_RETRY_DELAY_MS;
    this.onFailure = options.onFailure;
    this.queued = new PendingOverlay(this.sectorsPerBlock);
    if (!(this.maxPendingBytes > 0)) throw new RangeError(`maxPendingBytes must be positive, got ${this.maxPendingBytes}`);
  }

  /** Overlays of uncommitted writes, newest first (see sector-merge.ts). */
  get pending(): PendingOverlay[] {
    return this.inflight ? [this.queued, this.inflight] : [this.queued];
  }

  get failure(): Error | undefined {
    return this.failureError;
  }

  /** Bytes of memory the uncommitted writes hold. */
  get pendingBytes(): number {
    return this.queued.heldBytes + (this.inflight?.heldBytes ?? 0);
  }

  get committedSectorCount(): number {
    return this.committed.sectorCount;
  }

  /** Commits repeated after a transient abort. */
  get commitRetryCount(): number {
    return this.retries;
  }

  /** Whether whole sectors [firstSector, endSector) can be added now without passing the bound. */
  hasRoomFor(firstSector: number, endSector: number): boolean {
    if (this.failureError) return true;
    const held = this.pendingBytes;
    return held === 0 || held + this.queued.addedBytesFor(firstSector, endSector) <= this.maxPendingBytes;
  }

  /** Resolves once `hasRoomFor` holds (commits made room, or the journal failed). */
  waitForRoom(firstSector: number, endSector: number): Promise<void> {
    if (this.roomWaiters.length === 0 && this.hasRoomFor(firstSector, endSector)) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ firstSector, endSector, resolve }));
  }

  /**
   * Adds whole sectors (a multiple of 512 bytes from `firstSector`; copied) and returns the
   * promise of their commit. Once failed the bytes are still added, for reads, and the
   * promise rejects with the failure.
   */
  add(firstSector: number, sectors: Uint8Array): Promise<void> {
    this.queued.writeSectors(firstSector, sectors);
    if (this.failureError) return Promise.reject(this.failureError);
    const committed = new Promise<void>((resolve, reject) => this.queuedWaiters.push({ resolve, reject }));
    this.scheduleCommit();
    this.wakeRoomWaiters();
    return committed;
  }

  /**
   * Fails the journal from outside (a write whose other half could not be read: going on
   * without it would break issue order). Only the first failure counts.
   */
  fail(error: Error): void {
    this.failWith(error, []);
  }

  /**
   * Rejects `inflightWaiters` and every queued write with the journal's failure: the first
   * one, even when a batch already in flight at that moment fails later for its own reason
   * (the app reacts to the first failure once; the later one changes nothing for the user).
   */
  private failWith(error: Error, inflightWaiters: CommitWaiter[]): void {
    const first = this.failureError === undefined;
    const failure = (this.failureError ??= error);
    const waiters = [...inflightWaiters, ...this.queuedWaiters];
    this.queuedWaiters = [];
    for (const waiter of waiters) waiter.reject(failure);
    if (!first) return;
    this.wakeRoomWaiters();
    this.onFailure(failure);
  }

  /** The first commit waits one microtask so that writes issued in the same turn share it. */
  private scheduleCommit(): void {
    if (this.commitScheduled || this.inflight || this.failureError) return;
    this.commitScheduled = true;
    queueMicrotask(() => {
      this.commitScheduled = false;
      void this.commitNext();
    });
  }

  private async commitNext(): Promise<void> {
    if (this.inflight || this.failureError || this.queued.isEmpty) return;
    const batch = this.queued;
    const waiters = this.queuedWaiters;
    this.queued = new PendingOverlay(this.sectorsPerBlock);
    this.queuedWaiters = [];
    this.inflight = batch;
    let records: LeafBlockRecord[];
    try {
      records = await this.commitWithRetries(batch);
    } catch (error) {
      this.failWith(error instanceof Error ? error : new Error(String(error)), waiters);
      return;
    }
    for (const { blockIndex, validSectors } of records) this.committed.setBlock(blockIndex, validSectors);
    this.unsavedMeta = undefined;
    this.inflight = undefined;
    for (const waiter of waiters) waiter.resolve();
    this.wakeRoomWaiters();
    await this.commitNext();
  }

  private async commitWithRetries(batch: PendingOverlay): Promise<LeafBlockRecord[]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.commitBatch(batch);
      } catch (error) {
        const transient = error instanceof LeafStoreError && error.kind === 'aborted';
        if (!transient || attempt >= this.commitRetries) throw error;
        this.retries += 1;
        await new Promise((resolve) => setTimeout(resolve, this.commitRetryDelayMs * 2 ** attempt));
      }
    }
  }

  /** Merges a batch over the blocks' committed sectors and stores it in one transaction. */
  private async commitBatch(batch: PendingOverlay): Promise<LeafBlockRecord[]> {
    // Blocks whose committed sectors the batch does not all overwrite need their old data.
    // Reading it in a separate transaction is safe: this journal is the leaf's only writer.
    const needOld = [...batch.blocks].flatMap(([blockIndex, pending]) => {
      const committed = this.committed.get(blockIndex);
      return committed && !coversBitmap(pending.validSectors, committed) ? [blockIndex] : [];
    });
    const oldBlocks = needOld.length > 0 ? await this.store.readBlocks(needOld) : new Map<number, Uint8Array>();
    const blockSizeBytes = this.sectorsPerBlock * SECTOR_SIZE_BYTES;
    const records = [...batch.blocks].map(([blockIndex, pending]): LeafBlockRecord => {
      const committed = this.committed.get(blockIndex);
      if (!committed) return { blockIndex, data: pending.data, validSectors: pending.validSectors.slice() };
      const data = needOld.includes(blockIndex)
        ? overlayPendingSectors(requireBlockData(oldBlocks, blockIndex, blockSizeBytes, this.store.name), pending, this.sectorsPerBlock)
        : pending.data;
      return { blockIndex, data, validSectors: unionBitmaps(committed, pending.validSectors) };
    });
    await this.store.writeBlocks(records, this.unsavedMeta);
    return records;
  }

  /**
   * Lets the longest-waiting write in if it fits now; the next one is looked at when the
   * journal changes again (its add, then its commit), so two can never both take the same
   * room. Once failed, all of them go in.
   */
  private wakeRoomWaiters(): void {
    const next = this.roomWaiters[0];
    if (this.failureError) {
      for (const waiter of this.roomWaiters.splice(0)) waiter.resolve();
    } else if (next && this.hasRoomFor(next.firstSector, next.endSector)) {
      this.roomWaiters.shift();
      next.resolve();
    }
  }
}
