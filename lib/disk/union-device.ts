/**
 * The union block device: the leaf's sectors merged over a chain of frozen layers over the
 * root's, sector by sector.
 *
 *   read:  for each 512-byte sector, newest first: uncommitted writes (write-journal.ts) →
 *          the leaf (committed) → the frozen layer the chain's flattened index names
 *          (layer-chain.ts: checkpoints, published layers) → the root (range source; zero
 *          chunks, cache, network). Which layer serves a sector is decided in sector-merge.ts,
 *          once for every kind of read.
 *   write: copy the caller's bytes, put them in the journal (visible to reads at once), which
 *          commits them to the leaf store in issue order; the promise resolves once durable.
 *
 * This file is the facade v86 and the UI talk to: it checks I/O, keeps I/O in issue order
 * where a step has to wait, counts, and reports events; `checkpoint` freezes the live leaf.
 *
 * Issue order: a write that must wait (for room under the pending-memory bound, or to read
 * the other half of a sector it writes only 256 bytes of) goes through an ordered queue, and
 * every later read and write waits behind it, since they were issued after it.
 *
 * Failure policy: see write-journal.ts. In short, when a commit fails for good the device is
 * failed and `onError` listeners fire once (the app pauses the VM); writes of the failed batch
 * and every later write reject, but reads, `peek` and the download keep showing all of them.
 */
import { checkpointLayer } from './checkpoint-layer';
import type { FrozenLayer } from './frozen-layer';
import { LayerChain } from './layer-chain';
import { LeafStoreError, SECTOR_SIZE_BYTES, type LeafMeta, type LeafStore, type RootIdentity } from './leaf-store';
import { openLeaf, type OpenedLeaf } from './open-leaf';
import { assertByteRange, type RootSource, type RootSourceCounters } from './root-source';
import { countSectorLayers, type SectorLayerCounts } from './sector-layer-counts';
import {
  copyBlockSectors,
  planBuffer,
  planSectorRead,
  requireBlockData,
  sourceOfSector,
  type LeafSectorSources,
  type SectorReadPlan,
} from './sector-merge';
import { WriteJournal } from './write-journal';

/**
 * 4 KiB = 8 sectors, a guest file system's block: a 4 KiB random write with a flush after it
 * stores its 4 KiB and one 512-byte sector-map page (1.125x; 32 KiB blocks stored 8x). The
 * map is a paged bitmap (sector-pages.ts), so small blocks no longer make it big. Leaves made
 * with 32 KiB blocks keep them (the block size is fixed for a leaf's life).
 */
export const DEFAULT_BLOCK_SIZE_BYTES = 4 * 1024;
/** v86 reads and writes in 256-byte units. */
export const IO_ALIGNMENT_BYTES = 256;

export interface UnionDeviceOptions {
  root: RootSource;
  /** The root actually served now; must match the leaf's recorded root. */
  rootIdentity: RootIdentity;
  store: LeafStore;
  /** The leaf's id in the chain (its storage id), which `layerIdOfSector` names. Default: the store's name. */
  leafId?: string;
  /**
   * Frozen layers under the leaf, bottom (on the root) to top; each must name the one below
   * as its parent, and the leaf must have been made on the top one. The device closes them.
   */
  chain?: readonly FrozenLayer[];
  /** Block size for a NEW leaf; an existing leaf keeps its own. Default 4 KiB; a chain's layers fix it. */
  blockSizeBytes?: number;
  /** Clock for a new leaf's creation time. Default `Date.now`. */
  now?: () => number;
  /**
   * Bound on the memory uncommitted writes hold (whole leaf blocks). A write that would pass
   * it waits, and so does the guest, until commits make room. Default 16 MiB.
   */
  maxPendingBytes?: number;
  /** Retries of a commit the browser aborted transiently. Default 3. */
  commitRetries?: number;
  /** Delay before the first retry, doubling for each next one. Default 100 ms. */
  commitRetryDelayMs?: number;
}

/** 'frozen': a checkpoint or published layer under the leaf (`layerIdOfSector` says which). */
export type SectorLayer = 'leaf' | 'pending' | 'frozen' | 'zero' | 'root-cached' | 'root';

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
  /** Frozen layers under the leaf, and the sectors they serve (not hidden by the leaf). */
  frozenLayers: number;
  frozenSectors: number;
  /** Writes issued but not yet committed (or failed). */
  pendingWrites: number;
  /** Memory the uncommitted writes hold (whole blocks), bounded by `maxPendingBytes`. */
  pendingBytes: number;
  /** Commits repeated after the browser aborted them transiently. */
  commitRetries: number;
  root: RootSourceCounters;
}

/**
 * Who a read is for: the guest (counted, reported, through the root's cache), the device
 * itself (a partial write's other half: through the cache, not reported), or inspection
 * (`peek`: the block map, a download; past the guest's cache and readahead).
 */
type ReadPurpose = 'guest' | 'internal' | 'inspection';

export class UnionDevice {
  readonly root: RootSource;
  readonly rootIdentity: RootIdentity;
  readonly sizeBytes: number;
  readonly blockSizeBytes: number;
  readonly sectorsPerBlock: number;
  readonly sectorCount: number;

  private leafStore: LeafStore;
  private currentLeafId: string;
  private leafMeta: LeafMeta;
  private journal: WriteJournal;
  private chain: LayerChain;
  private readonly journalOptions: Pick<UnionDeviceOptions, 'maxPendingBytes' | 'commitRetries' | 'commitRetryDelayMs'>;
  /** Set while an ordered step (see the file comment) is pending: later I/O queues behind it. */
  private orderedTail: Promise<void> | undefined;
  private lastWrite: Promise<void> = Promise.resolve();
  private closed = false;

  private readonly ioListeners = new Set<IoListener>();
  private readonly errorListeners = new Set<ErrorListener>();
  private readonly stats = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0, pendingWrites: 0 };

  /**
   * Opens (or creates) the leaf in `store` over `root`, writing nothing. Refuses with
   * LeafBindingError when the leaf was made on another root; the store is closed again then.
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
    const nowMs = (options.now ?? Date.now)();
    const layers = options.chain ?? [];
    const blockSizeBytes = chainBlockSizeBytes(layers) ?? options.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES;
    let chain: LayerChain | undefined;
    try {
      chain = LayerChain.flatten(layers, rootIdentity, blockSizeBytes);
      const leaf = await openLeaf(store, rootIdentity, blockSizeBytes, nowMs, chain.topId);
      try {
        return new UnionDevice(options, leaf, chain);
      } catch (error) {
        store.close(); // bad options: do not leak the connection
        throw error;
      }
    } catch (error) {
      for (const layer of layers) layer.close();
      throw error;
    }
  }

  private constructor(options: UnionDeviceOptions, leaf: OpenedLeaf, chain: LayerChain) {
    this.root = options.root;
    this.rootIdentity = options.rootIdentity;
    this.sizeBytes = options.rootIdentity.sizeBytes;
    this.blockSizeBytes = leaf.meta.blockSizeBytes;
    this.sectorsPerBlock = this.blockSizeBytes / SECTOR_SIZE_BYTES;
    this.sectorCount = this.sizeBytes / SECTOR_SIZE_BYTES;
    const layersBlockSizeBytes = chainBlockSizeBytes(chain.layers);
    if (layersBlockSizeBytes !== undefined && layersBlockSizeBytes !== this.blockSizeBytes) {
      throw new RangeError(`The leaf has ${this.blockSizeBytes}-byte blocks but its layers have ${layersBlockSizeBytes}-byte blocks.`);
    }
    this.chain = chain;
    this.leafStore = options.store;
    this.currentLeafId = options.leafId ?? options.store.name;
    this.leafMeta = leaf.meta;
    this.journalOptions = options;
    this.journal = this.newJournal(options.store, leaf);
  }

  private newJournal(store: LeafStore, leaf: OpenedLeaf): WriteJournal {
    return new WriteJournal({
      store,
      sectorsPerBlock: this.sectorsPerBlock,
      committed: leaf.sectorMap,
      unsavedMeta: leaf.metaStored ? undefined : leaf.meta,
      maxPendingBytes: this.journalOptions.maxPendingBytes,
      commitRetries: this.journalOptions.commitRetries,
      commitRetryDelayMs: this.journalOptions.commitRetryDelayMs,
      onFailure: (error) => {
        for (const listener of this.errorListeners) listener(error);
      },
    });
  }

  /** The live leaf's store (it changes when a checkpoint freezes the leaf). */
  get store(): LeafStore {
    return this.leafStore;
  }

  /** The live leaf's id in the chain. */
  get leafId(): string {
    return this.currentLeafId;
  }

  /** The frozen layers under the live leaf, bottom to top. */
  get layers(): readonly FrozenLayer[] {
    return this.chain.layers;
  }

  /**
   * Freezes the live leaf and continues on a new, empty leaf in `nextStore` on top of it:
   * metadata only, no block is copied. The line is drawn in issue order: every write issued
   * before this call lands in the frozen leaf (it waits for them to commit), every read and
   * write issued after it waits and then goes to the new leaf; the guest keeps running.
   *
   * `persist` runs once the frozen leaf holds all its writes and before the switch (the caller
   * records the checkpoint durably there); if it throws, nothing changes and the error is
   * returned. Resolves with the frozen layer, whose id is the old leaf's id. The old leaf's
   * store stays open: the frozen layer reads through it.
   */
  checkpoint(nextStore: LeafStore, nextLeafId: string, persist: (frozen: FrozenLayer) => Promise<void>): Promise<FrozenLayer> {
    if (this.closed) return Promise.reject(new LeafStoreError('unavailable', `The disk of workspace ${this.store.name} is closed.`));
    return this.enqueueOrdered(async () => {
      await this.flush();
      const frozen = checkpointLayer(this.currentLeafId, this.leafStore, this.leafMeta, this.journal.committed.clone());
      const chain = this.chain.withLayerOnTop(frozen, this.rootIdentity, this.blockSizeBytes);
      await persist(frozen);
      // Recorded first, created second: a leaf database appears only once the workspace list
      // names it (see lib/workspaces/unlisted-leaves.ts). From here the old leaf is frozen, so
      // if the new one cannot be opened nothing may be written any more: fail the device.
      let next: OpenedLeaf;
      try {
        next = await openLeaf(nextStore, this.rootIdentity, this.blockSizeBytes, Date.now(), frozen.id);
        if (next.metaStored || next.sectorMap.size > 0) {
          nextStore.close();
          throw new LeafStoreError('corrupt', `The new leaf ${nextStore.name} for a checkpoint is not empty.`);
        }
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.journal.fail(failure);
        throw failure;
      }
      this.chain = chain;
      this.leafStore = nextStore;
      this.currentLeafId = nextLeafId;
      this.leafMeta = next.meta;
      this.journal = this.newJournal(nextStore, next);
      return frozen;
    });
  }

  get counters(): UnionDeviceCounters {
    return {
      ...this.stats,
      leafSectors: this.journal.committedSectorCount,
      leafBlocks: this.journal.committed.size,
      frozenLayers: this.chain.layers.length,
      frozenSectors: this.chain.servedSectors.reduce((sum, count) => sum + count, 0),
      pendingBytes: this.journal.pendingBytes,
      commitRetries: this.journal.commitRetryCount,
      root: this.root.counters,
    };
  }

  /** The error that failed the device, if a commit failed. */
  get failure(): Error | undefined {
    return this.journal.failure;
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
    const source = sourceOfSector(this.sources, sector);
    if (source === 'leaf') return 'leaf';
    if (typeof source === 'number') return 'frozen';
    if (source !== 'root') return 'pending';
    const rootLayer = this.root.layerOf(sector * SECTOR_SIZE_BYTES);
    return rootLayer === 'zero' ? 'zero' : rootLayer === 'cached' ? 'root-cached' : 'root';
  }

  /**
   * The id of the layer that serves `sector`: the live leaf's id (written, saved or not yet),
   * a frozen layer's id, 'zero' (an all-zero root chunk) or 'root'.
   */
  layerIdOfSector(sector: number): string {
    if (!Number.isSafeInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new RangeError(`UnionDevice.layerIdOfSector: sector ${sector} is not on the ${this.sectorCount}-sector disk`);
    }
    const source = sourceOfSector(this.sources, sector);
    if (typeof source === 'number') return this.chain.layerNumbered(source).id;
    if (source !== 'root') return this.currentLeafId;
    return this.root.layerOf(sector * SECTOR_SIZE_BYTES) === 'zero' ? 'zero' : 'root';
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
    return countSectorLayers(firstSector, endSector, this.sources, this.root);
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
    return this.readInIssueOrder(offsetBytes, lengthBytes, signal, 'guest');
  }

  /**
   * The merged bytes at once, when every sector is in memory: pending writes, all-zero or
   * cached root chunks. Undefined (and nothing counted) when any sector needs the leaf store
   * or the network, or an earlier write is still waiting; then `read` is the way. v86
   * answered in the same turn behaves as with a disk in memory: a BIOS that polls the drive
   * with interrupts off would otherwise sleep until its next timer tick (~55 ms) on every read.
   */
  readIfReady(offsetBytes: number, lengthBytes: number): Uint8Array | undefined {
    this.assertIo('read', offsetBytes, lengthBytes);
    if (this.orderedTail || lengthBytes === 0) return undefined;
    const plan = this.plan(offsetBytes, lengthBytes);
    // Decide first, without side effects: a miss must leave the root's cache counters and
    // readahead state to the asynchronous read that follows it.
    if (plan.leafSectors.length > 0 || plan.frozenSectors > 0 || !plan.rootRuns.every(([first, count]) => this.rootRunInMemory(first, count))) return undefined;

    let bytes: Uint8Array | undefined;
    if (!plan.buffer && plan.rootRuns.length === 1) {
      // The common case on v86's hot path: the root's own bytes, one lookup, no extra copy.
      bytes = this.root.readIfCached(offsetBytes, lengthBytes);
    } else {
      const buffer = planBuffer(plan);
      for (const [first, count] of plan.rootRuns) {
        const rootBytes = this.root.readIfCached(first * SECTOR_SIZE_BYTES, count * SECTOR_SIZE_BYTES);
        if (!rootBytes) return undefined;
        buffer.set(rootBytes, (first - plan.firstSector) * SECTOR_SIZE_BYTES);
      }
      bytes = trimToRequest(buffer, plan, offsetBytes, lengthBytes);
    }
    if (!bytes) return undefined;
    this.stats.reads += 1;
    this.stats.bytesRead += lengthBytes;
    this.emitIo('read', offsetBytes, lengthBytes, 0, plan.pendingSectors, plan.rootSectors);
    return bytes;
  }

  /**
   * The merged bytes for inspection (the block map's partition table, "Download disk"), in
   * issue order like a guest read, but neither counted in the guest's counters nor reported
   * to `onIo` listeners (the map must not draw its own reads), and read from the root past
   * the guest's cache and readahead (`RootSource.readForInspection`), so exporting a whole
   * disk does not push the guest's working set out of the cache. A root sector not in memory
   * is fetched, so callers that must cost the guest nothing check `layerOfSector` first.
   */
  peek(offsetBytes: number, lengthBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      this.assertIo('read', offsetBytes, lengthBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.readInIssueOrder(offsetBytes, lengthBytes, signal, 'inspection');
  }

  /**
   * Writes `data` at `offsetBytes`; resolves once the transaction holding it has committed.
   * `data` is copied before this returns, so the caller may reuse its buffer at once. After
   * a failure the write still reaches reads, `peek` and the download, and rejects.
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

    this.stats.pendingWrites += 1;
    const aligned = offsetBytes % SECTOR_SIZE_BYTES === 0 && bytes.length % SECTOR_SIZE_BYTES === 0;
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    const endSector = Math.ceil((offsetBytes + bytes.length) / SECTOR_SIZE_BYTES);
    let committed: Promise<void>;
    if (aligned && !this.orderedTail && this.journal.hasRoomFor(firstSector, endSector)) {
      committed = this.journal.add(firstSector, bytes); // the common path: synchronous overlay update
    } else {
      committed = this.enqueueOrdered(async () => {
        await this.journal.waitForRoom(firstSector, endSector);
        const sectors = aligned ? bytes : await this.readModifyWrite(offsetBytes, bytes);
        // Wrapped so the ordered queue waits for the overlay update only, not for the commit.
        return { committed: this.journal.add(firstSector, sectors) };
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
    if (this.journal.failure) throw this.journal.failure;
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
      this.chain.close();
    }
  }

  // ── read path ──────────────────────────────────────────────────────────────

  private get sources(): LeafSectorSources {
    return { sectorsPerBlock: this.sectorsPerBlock, pending: this.journal.pending, committed: this.journal.committed, chain: this.chain };
  }

  /** Whole sectors covering the request, pending ones copied at once. */
  private plan(offsetBytes: number, lengthBytes: number): SectorReadPlan {
    const firstSector = Math.floor(offsetBytes / SECTOR_SIZE_BYTES);
    const endSector = Math.ceil((offsetBytes + lengthBytes) / SECTOR_SIZE_BYTES);
    return planSectorRead(this.sources, firstSector, endSector);
  }

  /** A read issued after an ordered step waits for it (whether that step failed or not). */
  private readInIssueOrder(offsetBytes: number, lengthBytes: number, signal: AbortSignal | undefined, purpose: ReadPurpose): Promise<Uint8Array> {
    if (this.orderedTail) {
      const readAfter = () => this.readNow(offsetBytes, lengthBytes, signal, purpose);
      return this.orderedTail.then(readAfter, readAfter);
    }
    return this.readNow(offsetBytes, lengthBytes, signal, purpose);
  }

  private readNow(offsetBytes: number, lengthBytes: number, signal: AbortSignal | undefined, purpose: ReadPurpose): Promise<Uint8Array> {
    if (lengthBytes === 0) return Promise.resolve(new Uint8Array(0));
    const plan = this.plan(offsetBytes, lengthBytes);
    if (purpose === 'guest') {
      this.emitIo('read', offsetBytes, lengthBytes, plan.leafSectors.length + plan.frozenSectors, plan.pendingSectors, plan.rootSectors);
    }
    const buffer = planBuffer(plan);

    // readBlocks is called before any await: the store snapshots at call time, so no later
    // commit can change what these leaf sectors read as (see LeafStore.readBlocks).
    const parts: Array<Promise<void>> = [];
    const store = this.leafStore;
    if (plan.leafBlocks.length > 0) {
      parts.push(
        store.readBlocks(plan.leafBlocks).then((blocks) =>
          copyBlockSectors(plan, plan.leafSectors, this.sectorsPerBlock, (blockIndex) =>
            requireBlockData(blocks, blockIndex, this.blockSizeBytes, store.name),
          ),
        ),
      );
    }
    for (const [layerNumber, { sectors, blocks }] of plan.frozen) {
      const layer = this.chain.layerNumbered(layerNumber);
      parts.push(
        layer.readBlocks(blocks, signal).then((data) =>
          copyBlockSectors(plan, sectors, this.sectorsPerBlock, (blockIndex) =>
            requireBlockData(data, blockIndex, this.blockSizeBytes, `layer ${layer.id}`),
          ),
        ),
      );
    }
    for (const [first, count] of plan.rootRuns) {
      const [rootOffset, rootLength] = [first * SECTOR_SIZE_BYTES, count * SECTOR_SIZE_BYTES];
      const rootBytes =
        purpose === 'inspection' ? this.root.readForInspection(rootOffset, rootLength, signal) : this.root.read(rootOffset, rootLength, signal);
      parts.push(rootBytes.then((bytes) => buffer.set(bytes, (first - plan.firstSector) * SECTOR_SIZE_BYTES)));
    }
    return Promise.all(parts).then(() => trimToRequest(buffer, plan, offsetBytes, lengthBytes));
  }

  /** Whether every byte of the root sectors is in memory (all-zero or cached): one look per chunk. */
  private rootRunInMemory(firstSector: number, sectorCount: number): boolean {
    const chunk = this.root.chunkSizeBytes;
    const endBytes = (firstSector + sectorCount) * SECTOR_SIZE_BYTES;
    for (let at = firstSector * SECTOR_SIZE_BYTES; at < endBytes; at = (Math.floor(at / chunk) + 1) * chunk) {
      if (this.root.layerOf(at) === 'remote') return false;
    }
    return true;
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
        const old = await this.readNow(sector * SECTOR_SIZE_BYTES, SECTOR_SIZE_BYTES, undefined, 'internal');
        sectors.set(old, (sector - firstSector) * SECTOR_SIZE_BYTES);
      }
    } catch (error) {
      // This write cannot be merged, so it is lost; later ones going on without it would
      // break issue order in the leaf: fail the device (reads keep working).
      const failure = error instanceof Error ? error : new Error(String(error));
      this.journal.fail(failure);
      throw failure;
    }
    sectors.set(bytes, offsetBytes - firstSector * SECTOR_SIZE_BYTES);
    return sectors;
  }

  /** Runs `step` after every earlier ordered step; later reads and writes wait for it. */
  private enqueueOrdered<T>(step: () => Promise<T>): Promise<T> {
    const result = (this.orderedTail ?? Promise.resolve()).then(step);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.orderedTail = tail;
    void tail.then(() => {
      if (this.orderedTail === tail) this.orderedTail = undefined;
    });
    return result;
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
}

/**
 * The block size a chain fixes: its first layer that maps anything. An empty layer (a
 * checkpoint of a leaf never written) stores no block, so its block size is only the default
 * it was opened with, which changed from 32 KiB to 4 KiB; it must not refuse the layers above.
 */
function chainBlockSizeBytes(layers: readonly FrozenLayer[]): number | undefined {
  return layers.find((layer) => layer.sectorMap.size > 0)?.blockSizeBytes;
}

/** The requested bytes out of the plan's whole sectors (a copy only when they differ). */
function trimToRequest(buffer: Uint8Array, plan: SectorReadPlan, offsetBytes: number, lengthBytes: number): Uint8Array {
  const startInBuffer = offsetBytes - plan.firstSector * SECTOR_SIZE_BYTES;
  return startInBuffer === 0 && lengthBytes === buffer.length ? buffer : buffer.slice(startInBuffer, startInBuffer + lengthBytes);
}
