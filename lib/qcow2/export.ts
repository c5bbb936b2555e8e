/**
 * qcow2 v3 export of a workspace: an overlay whose backing file is the root image.
 *
 * What a user needs to know:
 * - The backing file is named by FILE NAME only (`backingFileName`, Leaflab passes
 *   `<imageId>-<first 12 hex of the root's sha256>.img`), with backing format `raw`. Put the
 *   downloaded root image next to the .qcow2 under exactly that name, or point the overlay at
 *   another copy with `qemu-img rebase -u -b <path> -F raw <file>.qcow2`.
 * - The URL the root was downloaded from is noted in a Leaflab header extension (type
 *   0x4c4c5552, "LLUR", UTF-8). QEMU ignores unknown non-critical extensions (and keeps them),
 *   so `qemu-img info` and `qemu-img check` stay clean (the integration tests prove it), and
 *   `qemu-img rebase -u` and `qemu-img amend` keep it; it is a note for people and for
 *   Leaflab, never used to open the file.
 * - Sector granularity uses EXTENDED L2 ENTRIES (incompatible feature bit 4) with 16 KiB
 *   clusters: 32 subclusters of exactly 512 bytes, so each leaf sector is one subcluster and a
 *   subcluster the overlay does not hold reads from the backing file. The alternative, 64 KiB
 *   clusters with the root's bytes copied up into partly written clusters, would read the root
 *   over HTTP during export and store root data in the file; extended L2 needs no root byte.
 *   Extended L2 needs QEMU 5.2 or later (older qemu-img refuses the file as having an unknown
 *   incompatible feature). To get a file older tools read, `qemu-img convert -O qcow2 -B
 *   <root> -F raw in.qcow2 out.qcow2` with a new QEMU.
 *
 * Streaming: all metadata (header, L1, refcount table and blocks, L2) is computed up front from
 * the sector runs; data clusters follow in guest order, read from the source a batch at a time,
 * so at most one batch (1 MiB) of data is in memory.
 */
import { EXPORT_CLUSTER_BYTES, EXPORT_SECTOR_BYTES, EXPORT_SECTORS_PER_CLUSTER, planExportLayout, type ExportLayout, type SectorRun } from './export-layout';
import { headerCluster, l1TableClusters, l2TableCluster, refcountBlockCluster, refcountTableClusters, type BackingNames } from './export-metadata';

export interface Qcow2ExportSource {
  /** Virtual disk size = the root image's size (a multiple of 512). */
  sizeBytes: number;
  /** Sorted, non-overlapping runs of 512-byte sectors the overlay holds (every layer above the root, merged). */
  sectorRuns: readonly SectorRun[];
  /** Bytes of the merged disk (offset/length multiples of 512). Called with moderately sized ranges. */
  read(offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
}

export interface Qcow2ExportPlan {
  /** The exact length of the file `pieces` yields. */
  sizeBytes: number;
  /** The file, in order; each call starts over. Aborting stops before the next read. */
  pieces(signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** Data clusters per streamed batch: 64 x 16 KiB = 1 MiB. */
const DATA_CLUSTERS_PER_BATCH = 64;

export function planQcow2Export(source: Qcow2ExportSource, options: BackingNames): Qcow2ExportPlan {
  const layout = planExportLayout(source.sizeBytes, source.sectorRuns);
  // Built now so a name that does not fit fails at planning, before any download starts.
  const header = headerCluster(layout, options);
  return {
    sizeBytes: layout.fileSizeBytes,
    pieces: (signal) => exportPieces(layout, header, source, signal),
  };
}

async function* exportPieces(layout: ExportLayout, header: Uint8Array, source: Qcow2ExportSource, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  yield header;
  yield l1TableClusters(layout);
  yield refcountTableClusters(layout);
  for (let block = 0; block < layout.refcountBlocks; block += 1) yield refcountBlockCluster(layout, block);
  let dataIndex = 0;
  for (let tableNumber = 0; tableNumber < layout.l2TableIndices.length; tableNumber += 1) {
    const table = l2TableCluster(layout, tableNumber, dataIndex);
    dataIndex = table.nextDataIndex;
    yield table.cluster;
  }
  yield* dataPieces(layout, source, signal);
}

/**
 * Data clusters in host order, a batch of guest-consecutive clusters at a time; inside a batch
 * each run's part is one read, and sectors the overlay does not hold stay zero (they are
 * unallocated subclusters, never read).
 */
async function* dataPieces(layout: ExportLayout, source: Qcow2ExportSource, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const clusters = layout.dataClusters;
  let runIndex = 0;
  for (let batchStart = 0; batchStart < clusters.length; ) {
    const firstGuestCluster = clusters[batchStart]?.guestCluster ?? 0;
    let batchEnd = batchStart + 1;
    while (batchEnd < clusters.length && batchEnd - batchStart < DATA_CLUSTERS_PER_BATCH && clusters[batchEnd]?.guestCluster === firstGuestCluster + (batchEnd - batchStart)) {
      batchEnd += 1;
    }
    const batch = new Uint8Array((batchEnd - batchStart) * EXPORT_CLUSTER_BYTES);
    const batchFirstSector = firstGuestCluster * EXPORT_SECTORS_PER_CLUSTER;
    const batchEndSector = batchFirstSector + (batchEnd - batchStart) * EXPORT_SECTORS_PER_CLUSTER;
    // Runs ending before this batch were used up by earlier batches (both are in guest order).
    while (runIndex < source.sectorRuns.length && runEnd(source.sectorRuns[runIndex]) <= batchFirstSector) runIndex += 1;
    for (let index = runIndex; index < source.sectorRuns.length; index += 1) {
      const run = source.sectorRuns[index];
      if (run === undefined || run[0] >= batchEndSector) break;
      const fromSector = Math.max(run[0], batchFirstSector);
      const toSector = Math.min(runEnd(run), batchEndSector);
      signal?.throwIfAborted();
      const lengthBytes = (toSector - fromSector) * EXPORT_SECTOR_BYTES;
      const bytes = await source.read(fromSector * EXPORT_SECTOR_BYTES, lengthBytes);
      if (bytes.length !== lengthBytes) {
        throw new Error(`qcow2 export: reading ${lengthBytes} bytes of the disk at sector ${fromSector} gave ${bytes.length}`);
      }
      batch.set(bytes, (fromSector - batchFirstSector) * EXPORT_SECTOR_BYTES);
    }
    signal?.throwIfAborted();
    yield batch;
    batchStart = batchEnd;
  }
}

function runEnd(run: SectorRun | undefined): number {
  return run === undefined ? 0 : run[0] + run[1];
}
