/**
 * The three ways a lab can give v86 its hard disk, behind one small interface:
 *   union      the union block device: the root over HTTP Range, the guest's writes in a leaf
 *              in IndexedDB (persistent per workspace); see lib/disk
 *   v86-async  v86's own async Range-request disk (writes stay in the tab's memory)
 *   memory     the whole image downloaded first, then served from memory (the speed baseline)
 * The latter two stay selectable (?disk=...) for comparisons and benchmarks.
 */
import type { V86Options } from 'v86';
import { bootSetRunsFor, warmSetRunsFor } from '../images/boot-set';
import type { PublishedImage } from '../images/manifest';
import type { PrefetchCounters } from '../disk/prefetch-usage';
import { IdbLeafStore, RangeSource, UnionDevice, V86DiskAdapter } from '../disk';
import { ReadWaitMeter } from '../disk/read-wait-meter';
import { claimWorkspaceDisk } from '../workspaces/workspace-claim';
import { liveLeafId, type WorkspaceRecord } from '../workspaces/workspace-registry';
import { openLayerChain, type PublishedLayerOpener } from './layer-chain-opener';
import { fetchWithProgress } from './fetch-with-progress';
import { NetworkMeter } from './network-meter';
import { meterV86Disk } from './v86-disk-meter';
import { openRootChunkCache } from './root-cache';

export const DISK_MODES = ['union', 'v86-async', 'memory'] as const;
export type DiskMode = (typeof DISK_MODES)[number];

export function isDiskMode(value: string): value is DiskMode {
  return (DISK_MODES as readonly string[]).includes(value);
}

export interface DiskStats extends PrefetchCounters {
  diskMode: DiskMode;
  /** Body bytes and HTTP requests fetched from the image URL for the guest. */
  bytesFetched: number;
  requests: number;
  /** Guest disk operations and their bytes. */
  reads: number;
  writes: number;
  bytesRead: number;
  bytesWritten: number;
  /**
   * What the disk cost the running guest, for every backend alike (lib/disk/read-wait-meter.ts):
   * summed time from v86 asking for bytes to getting them, reads answered asynchronously, and
   * main-thread time inside the disk's get/set/flush.
   */
  readWaitMs: number;
  asyncReads: number;
  engineMs: number;
  /** Union device only (0 otherwise): root chunks cached in memory, and the leaf's contents. */
  chunksCached: number;
  cachedBytes: number;
  leafSectors: number;
  leafBlocks: number;
  pendingWrites: number;
  /** Union device only (0 otherwise): requests repeated after a failure, and fetched chunks refused by the chunk table. */
  retries: number;
  corruptChunks: number;
  /** Union device only (0 otherwise): root bytes fetched for the block map and downloads, apart from the guest's. */
  inspectionBytesFetched: number;
  /**
   * Union device only: root chunks read from this browser's persistent root cache instead of the
   * network, their bytes, stored copies refused by the chunk table (and fetched again), and why
   * the cache stopped growing, if it did (lib/disk/root-chunk-cache-reader.ts).
   */
  rootCacheHits: number;
  rootCacheBytes: number;
  rootCacheCorruptChunks: number;
  rootCacheNotice: string | undefined;
}

export interface DiskBackend {
  readonly mode: DiskMode;
  /** What goes into v86's `hda` option. */
  readonly hda: NonNullable<V86Options['hda']> | V86DiskAdapter;
  /** The union device itself (union only): the block map reads its layers and I/O. */
  readonly device?: UnionDevice;
  /**
   * The workspace's entry as the disk was opened, kept current by checkpoints (union only):
   * which live leaf and layers the disk is.
   */
  workspaceRecord?: WorkspaceRecord;
  /** Sectors of earlier changes found in the leaf when it was opened (union only). */
  readonly restoredSectors: number;
  stats(): DiskStats;
  /** Called once v86 has built the machine, before it runs: v86's own disks are metered from then on. */
  attachEmulator(emulator: unknown): void;
  /** Called with the guest's IDE events, for the backends that cannot count I/O themselves. */
  countIde(kind: 'read' | 'write', byteCount: number): void;
  /** Called on I/O failures that v86 cannot report to the guest (the lab pauses the VM). */
  onError(listener: (error: Error) => void): void;
  /** Waits until every write the guest saw complete is durable, then releases the disk. */
  close(): Promise<void>;
}

const NO_UNION_STATS = {
  chunksCached: 0,
  cachedBytes: 0,
  leafSectors: 0,
  leafBlocks: 0,
  pendingWrites: 0,
  retries: 0,
  corruptChunks: 0,
  inspectionBytesFetched: 0,
  prefetchedChunks: 0,
  prefetchedChunksUsed: 0,
  prefetchedChunksUnused: 0,
  warmSetChunksFetched: 0,
  warmSetChunksUsed: 0,
  rootCacheHits: 0,
  rootCacheBytes: 0,
  rootCacheCorruptChunks: 0,
  rootCacheNotice: undefined,
};

/** Counters before the disk is open. */
export function emptyDiskStats(diskMode: DiskMode): DiskStats {
  return {
    diskMode,
    bytesFetched: 0,
    requests: 0,
    reads: 0,
    writes: 0,
    bytesRead: 0,
    bytesWritten: 0,
    readWaitMs: 0,
    asyncReads: 0,
    engineMs: 0,
    ...NO_UNION_STATS,
  };
}

/** Counts guest I/O from v86's IDE events. */
class IdeCounters {
  readonly ide = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0 };
  count(kind: 'read' | 'write', byteCount: number): void {
    if (kind === 'read') {
      this.ide.reads += 1;
      this.ide.bytesRead += byteCount;
    } else {
      this.ide.writes += 1;
      this.ide.bytesWritten += byteCount;
    }
  }
}

function absoluteUrl(url: string): string {
  return new URL(url, location.href).href;
}

/**
 * A backend whose disk is v86's own (async Range disk, or a buffer in memory): traffic is
 * counted from Resource Timing, guest I/O from v86's IDE events.
 */
function meteredBackend(mode: 'v86-async' | 'memory', hda: NonNullable<V86Options['hda']>, meter: NetworkMeter): DiskBackend {
  const counters = new IdeCounters();
  const readWait = new ReadWaitMeter();
  return {
    mode,
    hda,
    restoredSectors: 0,
    stats: () => {
      meter.flush();
      return { diskMode: mode, ...meter.counters, ...counters.ide, ...readWait.counters, ...NO_UNION_STATS };
    },
    attachEmulator: (emulator) => {
      try {
        meterV86Disk(emulator, readWait);
      } catch (error) {
        // The counters stay at 0; the guest runs as before.
        console.warn((error as Error).message);
      }
    },
    countIde: (kind, byteCount) => counters.count(kind, byteCount),
    onError: () => {},
    close: async () => meter.disconnect(),
  };
}

function v86AsyncBackend(image: PublishedImage): DiskBackend {
  return meteredBackend('v86-async', { url: image.url, async: true, size: image.sizeBytes }, new NetworkMeter(absoluteUrl(image.url)));
}

async function memoryBackend(image: PublishedImage, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<DiskBackend> {
  const meter = new NetworkMeter(absoluteUrl(image.url));
  const buffer = await fetchWithProgress(image.url, onProgress, signal);
  if (buffer.byteLength !== image.sizeBytes) {
    meter.disconnect();
    throw new Error(`The disk image at ${image.url} is ${buffer.byteLength} bytes, but the catalog says ${image.sizeBytes}.`);
  }
  return meteredBackend('memory', { buffer }, meter);
}

/** The leaf a union disk opens: a workspace's name (for messages) and fixed storage id. */
export interface WorkspaceRef {
  name: string;
  storageId: string;
}

async function unionBackend(image: PublishedImage, workspace: WorkspaceRef, openPublished: PublishedLayerOpener): Promise<DiskBackend> {
  // The lock, and a registry that still lists the leaf: a workspace deleted meanwhile is refused,
  // not recreated as a leaf nothing lists. The entry read under the lock says which leaf and layers.
  const { release: releaseLock, record } = await claimWorkspaceDisk(image.id, workspace.storageId, workspace.name);
  try {
    return await openUnionDisk(image, record, openPublished, releaseLock);
  } catch (error) {
    releaseLock();
    throw error;
  }
}

async function openUnionDisk(
  image: PublishedImage,
  workspace: WorkspaceRecord,
  openPublished: PublishedLayerOpener,
  releaseLock: () => void,
): Promise<DiskBackend> {
  const root = new RangeSource({
    url: image.url,
    sizeBytes: image.sizeBytes,
    etag: image.etag,
    // Every chunk is checked against this table, whose digest the manifest gives.
    chunkDigests: { url: image.chunkDigestsUrl, sha256: image.chunkDigests.sha256 },
    chunkSizeBytes: image.chunkSizeBytes,
    zeroChunks: image.zeroChunks,
    // Chunks this browser kept from earlier boots, checked against the same table on the way out.
    rootChunkCache: await openRootChunkCache(image),
  });
  // The boot working set, fetched now so that the guest's boot reads find it in memory; the
  // lab opens the disk while v86 is still downloading. Only a set recorded on this very image.
  // Then the warm set: what the image's first lesson commands read, once the boot set is in.
  const bootSet = bootSetRunsFor(image);
  const warmSet = warmSetRunsFor(image);
  if (bootSet || warmSet) root.prefetchChunks(bootSet ?? [], warmSet);
  const rootIdentity = { id: image.id, sizeBytes: image.sizeBytes, sha256: image.sha256 };
  const leafId = liveLeafId(workspace);
  const device = await UnionDevice.open({
    root,
    rootIdentity,
    store: new IdbLeafStore({ imageId: image.id, storageId: leafId, workspaceName: workspace.name }),
    leafId,
    chain: await openLayerChain(image.id, rootIdentity, workspace.layers ?? [], openPublished),
  });
  const adapter = new V86DiskAdapter(device);
  const restoredSectors = device.counters.leafSectors;
  return {
    mode: 'union',
    hda: adapter,
    device,
    workspaceRecord: workspace,
    restoredSectors,
    stats: () => {
      const { reads, writes, bytesRead, bytesWritten, leafSectors, leafBlocks, pendingWrites } = device.counters;
      const rootCounters = root.counters;
      return {
        diskMode: 'union',
        bytesFetched: rootCounters.bytesFetched,
        requests: rootCounters.requests,
        reads,
        writes,
        bytesRead,
        bytesWritten,
        ...adapter.readWaitCounters,
        chunksCached: rootCounters.chunksCached,
        cachedBytes: rootCounters.cachedBytes,
        leafSectors,
        leafBlocks,
        pendingWrites,
        retries: rootCounters.retries,
        corruptChunks: rootCounters.corruptChunks,
        inspectionBytesFetched: rootCounters.inspectionBytesFetched,
        prefetchedChunks: rootCounters.prefetchedChunks,
        prefetchedChunksUsed: rootCounters.prefetchedChunksUsed,
        prefetchedChunksUnused: rootCounters.prefetchedChunksUnused,
        warmSetChunksFetched: rootCounters.warmSetChunksFetched,
        warmSetChunksUsed: rootCounters.warmSetChunksUsed,
        rootCacheHits: rootCounters.rootCacheHits,
        rootCacheBytes: rootCounters.rootCacheBytes,
        rootCacheCorruptChunks: rootCounters.rootCacheCorruptChunks,
        rootCacheNotice: rootCounters.rootCacheNotice,
      };
    },
    attachEmulator: () => {}, // the adapter is v86's disk and meters itself
    countIde: () => {}, // the device counts its own I/O
    onError: (listener) => void adapter.onError(listener),
    close: () => device.close().finally(releaseLock),
  };
}

export async function openDiskBackend(
  mode: DiskMode,
  image: PublishedImage,
  options: {
    workspace: WorkspaceRef;
    signal: AbortSignal;
    onDownloadProgress: (loadedBytes: number) => void;
    /** Opens a published layer the workspace stacks (union only). */
    openPublished: PublishedLayerOpener;
  },
): Promise<DiskBackend> {
  switch (mode) {
    case 'union':
      return unionBackend(image, options.workspace, options.openPublished);
    case 'v86-async':
      return v86AsyncBackend(image);
    case 'memory':
      return memoryBackend(image, options.onDownloadProgress, options.signal);
  }
}
