/**
 * The union block device: the leaf's sectors merged over the root's, sector by sector.
 *
 *   read:  for each 512-byte sector, newest first: queued writes → the batch being committed
 *          → the leaf (committed) → the root (range source; zero chunks, cache, network).
 *   write: copy the caller's bytes, put them in the queued overlay (visible to reads at once),
 *          commit them to the leaf store in issue order; the promise resolves once durable.
 *
 * Failure policy (documented choice): when a commit fails, the device is FAILED. The writes of
 * the failing batch and every write queued or issued later reject with that error, and
 * `onError` listeners fire once (the app pauses the VM). Reads keep working and keep showing
 * the uncommitted writes from memory: that is the disk the guest has already seen, it stays
 * self-consistent, and it lets the user download the disk to rescue unsaved changes. What a
 * reload shows is the last committed state, never part of a failed batch (the store's
 * writeBlocks is atomic).
 */
import { assertLeafBinding } from './leaf-binding';
import {
  isValidBlockSize,
  LEAF_FORMAT_VERSION,
  LeafStoreError,
  SECTOR_SIZE_BYTES,
  type LeafBlockRecord,
  type LeafMeta,
  type LeafStore,
  type RootIdentity,
} from './leaf-store';
import { PendingOverlay } from './pending-overlay';
import { assertByteRange, type RootSource, type RootSourceCounters } from './root-source';
import { bitmapByteLength, countSectors, coversBitmap, hasSector, unionBitmaps } from './sector-bitmap';
import { countSectorLayers, type SectorLayerCounts } from './sector-layer-counts';

/** 32 KiB = 64 sectors: small enough that a 4 KiB guest write stores little, big enough to keep the map small. */
export const DEFAULT_BLOCK_SIZE_BYTES = 32 * 1024;
/** v86 reads and writes in 256-byte units. */
export const IO_ALIGNMENT_BYTES = 256;

export interface UnionDeviceOptions {
  root: RootSource;
  /** The root actually served now; must match the leaf's recorded root. */
  rootIdentity: RootIdentity;
  store: LeafStore;
  /** Block size for a NEW leaf; an existing leaf keeps its own. Default 32 KiB. */
  blockSizeBytes?: number;
  /** Clock for meta timestamps. Default `Date.now`. */
  now?: () => number;
}

export type SectorLayer = 'leaf' | 'pending' | 'zero' | 'root-cached' | 'root';

/** Where the sectors of one I/O came from (for a write, all are 'pending'). */
export interface IoLayers {
  leafSectors: number;
  pendingSectors: number;
  rootSectors: number;
}

export type IoListener = (kind: 'read' | 'write', offsetBytes: number, lengthBytes: number, layers: IoLayers) => void;
export type ErrorListener = (error: Error) => void;

export interface UnionDeviceCounters {
  reads: number;
  writes: number;
  bytesRead: number;
  bytesWritten: number;
  /** Committed sectors the leaf maps, and the blocks holding them. */
  leafSectors: number;
  leafBlocks: number;
  /** Writes issued but not yet committed (or failed). */
  pendingWrites: number;
  root: RootSourceCounters;
}

interface CommitWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class UnionDevice {
  readonly sizeBytes: number;
  readonly blockSizeBytes: number;
  readonly sectorsPerBlock: number;
  readonly sectorCount: number;

  /** Committed sector map: blockIndex → valid-sector bitmap. */
  private readonly sectorMap: Map<number, Uint8Array>;
  /** Writes waiting for the next transaction, and their waiters (in issue order). */
  private queued: PendingOverlay;
  private queuedWaiters: CommitWaiter[] = [];
  /** The batch whose transaction is in flight (kept forever after a failure, for reads). */
  private inflight: PendingOverlay | undefined;
  private commitScheduled = false;
  /** Set while an unaligned write's read-modify-write is pending: later I/O queues behind it. */
  private applyTail: Promise<void> | undefined;
  private lastWrite: Promise<void> = Promise.resolve();
  private failureError: Error | undefined;
  private closed = false;

  private readonly ioListeners = new Set<IoListener>();
  private readonly errorListeners = new Set<ErrorListener>();
  private readonly stats = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0, leafSectors: 0, pendingWrites: 0 };

  /**
   * Opens (or creates) the leaf in `store` over `root`. Refuses with LeafBindingError when
   * the leaf was made on another root; the store is closed again in that case.
   */
  static async open(options: UnionDeviceOptions): Promise<UnionDevice> {
    const { root, rootIdentity, store } = options;
    if (root.sizeBytes !== rootIdentity.sizeBytes) {
      throw new RangeError(
        `The root source is ${root.sizeBytes} bytes but image "${rootIdentity.id}" is ${rootIdentity.sizeBytes} bytes; ` +
          'the source and the manifest describe different images.',
      );
    }
    if (rootIdentity.sizeBytes % SECTOR_SIZE_BYTES !== 0 || rootIdentity.sizeBytes <= 0) {
      throw new RangeError(`Image "${rootIdentity.id}" is ${rootIdentity.sizeBytes} bytes, not a whole number of 512-byte sectors.`);
    }
    await store.open();
    try {
      const now = (options.now ?? Date.now)();
      const existing = await store.readMeta();
      let meta: LeafMeta;
      if (existing) {
        assertLeafBinding(existing.root, rootIdentity, store.name);
        meta = { ...existing, lastUsedAt: now };
      } else {
        const blockSizeBytes = options.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES;
        if (!isValidBlockSize(blockSizeBytes)) {
          throw new RangeError(`Leaf block size must be a positive multiple of 512 bytes, got ${blockSizeBytes}`);
        }
        meta = {
          formatVersion: LEAF_FORMAT_VERSION,
          root: { id: rootIdentity.id, sizeBytes: rootIdentity.sizeBytes, sha256: rootIdentity.sha256 },
          sectorSizeBytes: SECTOR_SIZE_BYTES,
          blockSizeBytes,
          createdAt: now,
          lastUsedAt: now,
        };
      }
      await store.writeMeta(meta);
      const sectorMap = await store.loadSectorMap();
      return new UnionDevice(root, rootIdentity, store, meta.blockSizeBytes, sectorMap);
    } catch (error) {
      store.close();
      throw error;
    }
  }

  private constructor(
    readonly root: RootSource,
    readonly rootIdentity: RootIdentity,
    readonly store: LeafStore,
    blockSizeBytes: number,
    sectorMap: Map<number, Uint8Array>,
  ) {
    this.sizeBytes = rootIdentity.sizeBytes;
    this.blockSizeBytes = blockSizeBytes;
    this.sectorsPerBlock = blockSizeBytes / SECTOR_SIZE_BYTES;
    this.sectorCount = this.sizeBytes / SECTOR_SIZE_BYTES;
    this.queued = new PendingOverlay(this.sectorsPerBlock);
    const blockCount = Math.ceil(this.sectorCount / this.sectorsPerBlock);
    for (const [blockIndex, bitmap] of sectorMap) {
      if (!Number.isSafeInteger(blockIndex) || blockIndex < 0 || blockIndex >= blockCount) {
        throw this.corrupt(`the sector map names block ${blockIndex}, outside the disk`);
      }
      if (bitmap.length !== bitmapByteLength(this.sectorsPerBlock)) {
        throw this.corrupt(`the sector map entry of block ${blockIndex} has the wrong size`);
      }
      this.stats.leafSectors += countSectors(bitmap);
    }
    this.sectorMap = sectorMap;
  }

  get counters(): UnionDeviceCounters {
    return { ...this.stats, leafBlocks: this.sectorMap.size, root: this.root.counters };
  }

  /** The error that failed the device, if a commit failed. */
  get failure(): Error | undefined {
    return this.failureError;
  }

  /** Subscribes to every read and write; returns the unsubscribe function. */
  onIo(listener: IoListener): () => void {
    this.ioListeners.add(listener);
    return () => this.ioListeners.delete(listener);
  }

  /** Fires once when a commit fails (the device is failed from then on). */
  onError(listener: ErrorListener): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  layerOfSector(sector: number): SectorLayer {
    if (this.queued.has(sector) || this.inflight?.has(sector)) return 'pending';
    if (this.isLeafSector(sector)) return 'leaf';
    const rootLayer = this.root.layerOf(sector * SECTOR_SIZE_BYTES);
    return rootLayer === 'zero' ? 'zero' : rootLayer === 'cached' ? 'root-cached' : 'root';
  }

  /**
   * How many sectors of [firstSector, endSector) each layer serves now, each sector counted
   * once as `layerOfSector` would classify it. Work is per leaf block and root chunk, not per
   * sector (see sector-layer-counts.ts), so the block map can ask for a whole disk often.
   */
  sectorLayerCounts(firstSector: number, endSector: number): SectorLayerCounts {
    const valid = Number.isSafeInteger(firstSector) && Number.isSafeInteger(endSector);
    if (!valid || firstSector < 0 || endSector < firstSector || endSector > this.sectorCount) {
      throw new RangeError(
        `UnionDevice.sectorLayerCounts: sectors [${firstSector}, ${endSector}) are not a range of the ${this.sectorCount}-sector disk`,
      );
    }
    const leaf = { sectorsPerBlock: this.sectorsPerBlock, committed: this.sectorMap, pending: [this.queued, this.inflight] };
    return countSectorLayers(firstSector, endSector, leaf, this.root);
  }

  /** Resolves with exactly `lengthBytes` bytes of the merged disk (a fresh array). */
  read(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      this.assertIo('read', offsetBytes, lengthBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    this.stats.reads += 1;
    this.stats.bytesRead += lengthBytes;
    return this.readInIssueOrder(offsetBytes, lengthBytes, signal, true);
  }

  /**
   * Behind a pending read-modify-write, a read waits for it: it was issued after that write.
   * (Its failure fails the device but does not stop reads, hence the same callback twice.)
   */
  private readInIssueOrder(offsetBytes: number, lengthBytes: number, signal: AbortSignal | undefined, report: boolean): Promise<Uint8Array> {
    if (this.applyTail) {
      const readAfter = () => this.readNow(offsetBytes, lengthBytes, signal, report);
      return this.applyTail.then(readAfter, readAfter);
    }
    return this.readNow(offsetBytes, lengthBytes, signal, report);
  }

  /**
   * The merged bytes at once, when every sector is in memory: pending writes, all-zero or
   * cached root chunks. Undefined (and nothing counted) when any sector needs the leaf store
   * or the network; then `read` is the way. v86 answered in the same turn behaves as with a
   * disk in memory: a BIOS that polls the drive with interrupts off would otherwise sleep
   * until its next timer tick (~55 ms) on every read.
   */
  readIfReady(offsetBytes: number, lengthBytes: number): Uint8Array | undefined {
    this.assertIo('read', offsetBytes, lengthBytes);
    if (this.applyTail || lengthBytes === 0) return undefined;
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    const endSector = Math.ceil((offsetBytes + lengthBytes) / SECTOR_SIZE_BYTES);
    // Decide first, without side effects: a miss must leave the root's cache counters and
    // readahead state to the asynchronous read that follows it.
    let pendingSectors = 0;
    for (let sector = firstSector; sector < endSector; sector += 1) {
      if (this.queued.has(sector) || this.inflight?.has(sector)) pendingSectors += 1;
      else if (this.isLeafSector(sector) || this.root.layerOf(sector * SECTOR_SIZE_BYTES) === 'remote') return undefined;
    }
    const rootSectors = endSector - firstSector - pendingSectors;

    let bytes: Uint8Array | undefined;
    if (pendingSectors === 0) {
      // The common case on v86's hot path: the root's own bytes, one lookup, no extra copy.
      bytes = this.root.readIfCached(offsetBytes, lengthBytes);
    } else {
      bytes = this.mergePendingInMemory(firstSector, endSector);
      const startInBuffer = offsetBytes - firstSector * SECTOR_SIZE_BYTES;
      if (bytes && (startInBuffer !== 0 || lengthBytes !== bytes.length)) bytes = bytes.slice(startInBuffer, startInBuffer + lengthBytes);
    }
    if (!bytes) return undefined;
    this.stats.reads += 1;
    this.stats.bytesRead += lengthBytes;
    this.emitIo('read', offsetBytes, lengthBytes, 0, pendingSectors, rootSectors);
    return bytes;
  }

  /** Whole sectors [firstSector, endSector): the root's cached runs with pending sectors laid over them. */
  private mergePendingInMemory(firstSector: number, endSector: number): Uint8Array | undefined {
    const buffer = new Uint8Array((endSector - firstSector) * SECTOR_SIZE_BYTES);
    for (let sector = firstSector; sector < endSector; sector += 1) {
      const at = (sector - firstSector) * SECTOR_SIZE_BYTES;
      if (this.queued.copySectorInto(sector, buffer, at) || this.inflight?.copySectorInto(sector, buffer, at)) continue;
      let runEnd = sector + 1;
      while (runEnd < endSector && !this.queued.has(runEnd) && !this.inflight?.has(runEnd)) runEnd += 1;
      const rootBytes = this.root.readIfCached(sector * SECTOR_SIZE_BYTES, (runEnd - sector) * SECTOR_SIZE_BYTES);
      if (!rootBytes) return undefined;
      buffer.set(rootBytes, at);
      sector = runEnd - 1;
    }
    return buffer;
  }

  /**
   * The merged bytes for the UI (the block map reads the partition table with it), in issue
   * order like a guest read, but neither counted in the guest's counters nor reported to
   * `onIo` listeners: the map must not draw its own reads. A sector the root has not fetched
   * yet is fetched, so callers that must cost the guest nothing check `layerOfSector` first.
   */
  peek(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      this.assertIo('read', offsetBytes, lengthBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.readInIssueOrder(offsetBytes, lengthBytes, signal, false);
  }

  /**
   * Writes `data` at `offsetBytes`; resolves once the transaction holding it has committed.
   * `data` is copied before this returns, so the caller may reuse its buffer at once.
   */
  write(offsetBytes: number, data: Uint8Array): Promise<void> {
    try {
      this.assertIo('write', offsetBytes, data.length);
      if (data.length === 0) throw new RangeError('UnionDevice.write: empty write');
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = data.slice(); // v86 reuses its buffers: copy before anything async
    this.stats.writes += 1;
    this.stats.bytesWritten += bytes.length;
    this.emitIo('write', offsetBytes, bytes.length, 0, Math.ceil(bytes.length / SECTOR_SIZE_BYTES), 0);
    if (this.failureError) return Promise.reject(this.failureError);

    this.stats.pendingWrites += 1;
    const aligned = offsetBytes % SECTOR_SIZE_BYTES === 0 && bytes.length % SECTOR_SIZE_BYTES === 0;
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    let committed: Promise<void>;
    if (aligned && !this.applyTail) {
      committed = this.applyWrite(firstSector, bytes); // the common path: synchronous overlay update
    } else {
      committed = this.enqueueOrdered(async () => {
        const sectors = aligned ? bytes : await this.readModifyWrite(offsetBytes, bytes);
        // Wrapped so the ordered queue waits for the overlay update only, not for the commit.
        return { committed: this.applyWrite(firstSector, sectors) };
      }).then((applied) => applied.committed);
    }
    const settled = committed.finally(() => {
      this.stats.pendingWrites -= 1;
    });
    this.lastWrite = settled;
    return settled;
  }

  /** Resolves when every write issued so far is durable; rejects if the device failed. */
  async flush(): Promise<void> {
    await this.lastWrite;
    if (this.failureError) throw this.failureError;
  }

  /**
   * Waits for pending writes (a failure was already reported through the write promises and
   * onError, so it is not thrown again here), then closes the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } catch {
      // reported already
    } finally {
      this.closed = true;
      this.store.close();
    }
  }

  // ── read path ──────────────────────────────────────────────────────────────

  private readNow(offsetBytes: number, lengthBytes: number, signal: AbortSignal | undefined, report: boolean): Promise<Uint8Array> {
    if (lengthBytes === 0) return Promise.resolve(new Uint8Array(0));
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    const endSector = Math.ceil((offsetBytes + lengthBytes) / SECTOR_SIZE_BYTES);
    const buffer = new Uint8Array((endSector - firstSector) * SECTOR_SIZE_BYTES);
    const leafSectors: number[] = [];
    const leafBlocks = new Set<number>();
    const rootRuns: Array<[firstSector: number, sectorCount: number]> = [];
    let pendingSectors = 0;
    let rootSectors = 0;

    for (let sector = firstSector; sector < endSector; sector += 1) {
      const at = (sector - firstSector) * SECTOR_SIZE_BYTES;
      // Pending data is copied NOW, synchronously: once its batch commits it leaves the overlay.
      if (this.queued.copySectorInto(sector, buffer, at) || this.inflight?.copySectorInto(sector, buffer, at)) {
        pendingSectors += 1;
      } else if (this.isLeafSector(sector)) {
        leafSectors.push(sector);
        leafBlocks.add(Math.floor(sector / this.sectorsPerBlock));
      } else {
        rootSectors += 1;
        const lastRun = rootRuns[rootRuns.length - 1];
        if (lastRun && lastRun[0] + lastRun[1] === sector) lastRun[1] += 1;
        else rootRuns.push([sector, 1]);
      }
    }
    if (report) this.emitIo('read', offsetBytes, lengthBytes, leafSectors.length, pendingSectors, rootSectors);

    // readBlocks is called before any await: the store snapshots at call time, so no later
    // commit can change what these leaf sectors read as (see LeafStore.readBlocks).
    const parts: Array<Promise<void>> = [];
    if (leafSectors.length > 0) {
      parts.push(
        this.store.readBlocks([...leafBlocks]).then((blocks) => {
          for (const sector of leafSectors) {
            const blockIndex = Math.floor(sector / this.sectorsPerBlock);
            const data = blocks.get(blockIndex);
            if (!data || data.length !== this.blockSizeBytes) {
              throw this.corrupt(`block ${blockIndex} is mapped but its data is ${data ? 'the wrong size' : 'missing'}`);
            }
            const start = (sector - blockIndex * this.sectorsPerBlock) * SECTOR_SIZE_BYTES;
            buffer.set(data.subarray(start, start + SECTOR_SIZE_BYTES), (sector - firstSector) * SECTOR_SIZE_BYTES);
          }
        }),
      );
    }
    for (const [runFirst, runCount] of rootRuns) {
      parts.push(
        this.root
          .read(runFirst * SECTOR_SIZE_BYTES, runCount * SECTOR_SIZE_BYTES, signal)
          .then((bytes) => buffer.set(bytes, (runFirst - firstSector) * SECTOR_SIZE_BYTES)),
      );
    }
    const startInBuffer = offsetBytes - firstSector * SECTOR_SIZE_BYTES;
    return Promise.all(parts).then(() =>
      startInBuffer === 0 && lengthBytes === buffer.length ? buffer : buffer.slice(startInBuffer, startInBuffer + lengthBytes),
    );
  }

  private isLeafSector(sector: number): boolean {
    const blockIndex = Math.floor(sector / this.sectorsPerBlock);
    const bitmap = this.sectorMap.get(blockIndex);
    return bitmap !== undefined && hasSector(bitmap, sector - blockIndex * this.sectorsPerBlock);
  }

  // ── write path ─────────────────────────────────────────────────────────────

  /**
   * A write not aligned to 512 bytes (v86 allows 256) touches one or two sectors only
   * partly. Their other halves come from the merged view, read now, in issue order. Rare
   * (Linux writes whole sectors), so it may be slow; it must be correct.
   */
  private async readModifyWrite(offsetBytes: number, bytes: Uint8Array): Promise<Uint8Array> {
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    const endSector = Math.ceil((offsetBytes + bytes.length) / SECTOR_SIZE_BYTES);
    const sectors = new Uint8Array((endSector - firstSector) * SECTOR_SIZE_BYTES);
    const edges = new Set<number>();
    if (offsetBytes % SECTOR_SIZE_BYTES !== 0) edges.add(firstSector);
    if ((offsetBytes + bytes.length) % SECTOR_SIZE_BYTES !== 0) edges.add(endSector - 1);
    try {
      for (const sector of edges) {
        const old = await this.readNow(sector * SECTOR_SIZE_BYTES, SECTOR_SIZE_BYTES, undefined, false);
        sectors.set(old, (sector - firstSector) * SECTOR_SIZE_BYTES);
      }
    } catch (error) {
      // Dropping this write while later ones go on would break issue order: fail the device.
      const failure = error instanceof Error ? error : new Error(String(error));
      this.fail(failure, []);
      throw failure;
    }
    sectors.set(bytes, offsetBytes - firstSector * SECTOR_SIZE_BYTES);
    return sectors;
  }

  /** Runs `step` after every earlier ordered step; later reads and writes wait for it. */
  private enqueueOrdered<T>(step: () => Promise<T>): Promise<T> {
    const result = (this.applyTail ?? Promise.resolve()).then(step);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.applyTail = tail;
    void tail.then(() => {
      if (this.applyTail === tail) this.applyTail = undefined;
    });
    return result;
  }

  /** Puts whole sectors in the queued overlay and returns the promise of their commit. */
  private applyWrite(firstSector: number, sectors: Uint8Array): Promise<void> {
    if (this.failureError) return Promise.reject(this.failureError);
    this.queued.writeSectors(firstSector, sectors);
    const committed = new Promise<void>((resolve, reject) => this.queuedWaiters.push({ resolve, reject }));
    this.scheduleCommit();
    return committed;
  }

  /**
   * Group commit. One transaction at a time, in issue order. While one is in flight, new
   * writes pile up in `queued`; when it commits, all of them go in the next transaction.
   * The first commit waits one microtask so writes issued in the same tick share it.
   */
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
      records = await this.commitBatch(batch);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)), waiters);
      return;
    }
    for (const { blockIndex, validSectors } of records) {
      const before = this.sectorMap.get(blockIndex);
      this.stats.leafSectors += countSectors(validSectors) - (before ? countSectors(before) : 0);
      this.sectorMap.set(blockIndex, validSectors);
    }
    this.inflight = undefined;
    for (const waiter of waiters) waiter.resolve();
    await this.commitNext();
  }

  /** Merges a batch over the blocks' committed sectors and stores it in one transaction. */
  private async commitBatch(batch: PendingOverlay): Promise<LeafBlockRecord[]> {
    // Blocks whose committed sectors the batch does not all overwrite need their old data.
    // Reading it in a separate transaction is safe: this chain is the leaf's only writer.
    const needOld = [...batch.blocks].flatMap(([blockIndex, pending]) => {
      const committed = this.sectorMap.get(blockIndex);
      return committed && !coversBitmap(pending.validSectors, committed) ? [blockIndex] : [];
    });
    const oldBlocks = needOld.length > 0 ? await this.store.readBlocks(needOld) : new Map<number, Uint8Array>();
    const records = [...batch.blocks].map(([blockIndex, pending]): LeafBlockRecord => {
      const committed = this.sectorMap.get(blockIndex);
      if (!committed) return { blockIndex, data: pending.data, validSectors: pending.validSectors.slice() };
      const old = oldBlocks.get(blockIndex);
      let data = pending.data;
      if (needOld.includes(blockIndex)) {
        if (!old || old.length !== this.blockSizeBytes) {
          throw this.corrupt(`block ${blockIndex} is mapped but its data is ${old ? 'the wrong size' : 'missing'}`);
        }
        data = old.slice();
        for (let s = 0; s < this.sectorsPerBlock; s += 1) {
          if (!hasSector(pending.validSectors, s)) continue;
          const start = s * SECTOR_SIZE_BYTES;
          data.set(pending.data.subarray(start, start + SECTOR_SIZE_BYTES), start);
        }
      }
      return { blockIndex, data, validSectors: unionBitmaps(committed, pending.validSectors) };
    });
    await this.store.writeBlocks(records);
    return records;
  }

  private fail(error: Error, inflightWaiters: CommitWaiter[]): void {
    if (this.failureError) return;
    this.failureError = error;
    const waiters = [...inflightWaiters, ...this.queuedWaiters];
    this.queuedWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
    for (const listener of this.errorListeners) listener(error);
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  private assertIo(what: 'read' | 'write', offsetBytes: number, lengthBytes: number): void {
    if (this.closed) {
      throw new LeafStoreError('unavailable', `The disk of workspace ${this.store.name} is closed; reopen it to continue.`);
    }
    assertByteRange(`UnionDevice.${what}`, offsetBytes, lengthBytes, this.sizeBytes);
    if (offsetBytes % IO_ALIGNMENT_BYTES !== 0 || lengthBytes % IO_ALIGNMENT_BYTES !== 0) {
      throw new RangeError(
        `UnionDevice.${what}: offset ${offsetBytes} and length ${lengthBytes} must be multiples of ${IO_ALIGNMENT_BYTES} bytes`,
      );
    }
  }

  private emitIo(kind: 'read' | 'write', offsetBytes: number, lengthBytes: number, leaf: number, pending: number, root: number): void {
    if (this.ioListeners.size === 0) return;
    const layers: IoLayers = { leafSectors: leaf, pendingSectors: pending, rootSectors: root };
    for (const listener of this.ioListeners) listener(kind, offsetBytes, lengthBytes, layers);
  }

  private corrupt(problem: string): LeafStoreError {
    return new LeafStoreError('corrupt', `Workspace ${this.store.name} is damaged: ${problem}. Reset the workspace to continue.`);
  }
}
