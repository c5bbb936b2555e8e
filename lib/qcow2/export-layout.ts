/**
 * Where everything goes in an exported qcow2 file, computed up front from the overlay's sector
 * runs alone (no data is read): which guest clusters hold data and in which of their 512-byte
 * subclusters, and the host offset of every table and data cluster. Refcounts follow: every
 * cluster of the file is used exactly once, so each has refcount 1 and the file has no holes.
 *
 * Host layout, in 16 KiB clusters: [header + extensions + backing name] [L1 table]
 * [refcount table] [refcount blocks] [L2 tables, ascending L1 index] [data, ascending guest
 * cluster]. Data comes last so it can be streamed in guest order after all metadata.
 */
import { ceilDiv } from './format';

export const EXPORT_CLUSTER_BITS = 14;
export const EXPORT_CLUSTER_BYTES = 1 << EXPORT_CLUSTER_BITS;
export const EXPORT_SECTOR_BYTES = 512;
/** With extended L2 entries and 16 KiB clusters, subcluster i is exactly the cluster's sector i. */
export const EXPORT_SECTORS_PER_CLUSTER = EXPORT_CLUSTER_BYTES / EXPORT_SECTOR_BYTES;
export const EXTENDED_L2_ENTRY_BYTES = 16;
export const EXPORT_L2_ENTRIES_PER_TABLE = EXPORT_CLUSTER_BYTES / EXTENDED_L2_ENTRY_BYTES;
/** refcount_order 4: 16-bit refcounts, QEMU's default. */
export const EXPORT_REFCOUNT_ORDER = 4;
export const EXPORT_REFCOUNTS_PER_BLOCK = (EXPORT_CLUSTER_BYTES * 8) >> EXPORT_REFCOUNT_ORDER;

export type SectorRun = readonly [firstSector: number, sectorCount: number];

/** A guest cluster the overlay writes to, and which of its sectors (bit i = sector i) it holds. */
export interface ExportDataCluster {
  guestCluster: number;
  /** Unsigned 32-bit mask; bit i set when the cluster's sector i is the overlay's. */
  sectorMask: number;
}

export interface ExportLayout {
  sizeBytes: number;
  l1Entries: number;
  l1Clusters: number;
  refcountTableClusters: number;
  refcountBlocks: number;
  /** L1 indices that get an L2 table, ascending. */
  l2TableIndices: number[];
  dataClusters: ExportDataCluster[];
  totalClusters: number;
  l1OffsetBytes: number;
  refcountTableOffsetBytes: number;
  refcountBlocksOffsetBytes: number;
  l2TablesOffsetBytes: number;
  dataOffsetBytes: number;
  fileSizeBytes: number;
}

/** Throws RangeError unless the runs are sorted, non-overlapping, non-empty and inside the disk. */
export function assertSectorRuns(sizeBytes: number, sectorRuns: readonly SectorRun[]): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % EXPORT_SECTOR_BYTES !== 0) {
    throw new RangeError(`qcow2 export: the disk size ${sizeBytes} is not a positive multiple of 512 bytes`);
  }
  const diskSectors = sizeBytes / EXPORT_SECTOR_BYTES;
  let previousEnd = 0;
  for (const [firstSector, sectorCount] of sectorRuns) {
    if (!Number.isSafeInteger(firstSector) || !Number.isSafeInteger(sectorCount) || sectorCount <= 0 || firstSector < previousEnd || firstSector + sectorCount > diskSectors) {
      throw new RangeError(`qcow2 export: the sector run [${firstSector}, +${sectorCount}) is empty, unsorted, overlapping or past the disk's ${diskSectors} sectors`);
    }
    previousEnd = firstSector + sectorCount;
  }
}

/** Bits [fromBit, toBit) set, as an unsigned 32-bit number (0 <= fromBit < toBit <= 32). */
export function bitRangeMask(fromBit: number, toBit: number): number {
  const width = toBit - fromBit;
  const ones = width === 32 ? 0xffffffff : (1 << width) - 1;
  return (ones << fromBit) >>> 0;
}

/** The guest clusters the runs touch, ascending, with the sectors of each they cover. */
export function exportDataClusters(sectorRuns: readonly SectorRun[]): ExportDataCluster[] {
  const clusters: ExportDataCluster[] = [];
  for (const [firstSector, sectorCount] of sectorRuns) {
    const endSector = firstSector + sectorCount;
    for (let sector = firstSector; sector < endSector; ) {
      const guestCluster = Math.floor(sector / EXPORT_SECTORS_PER_CLUSTER);
      const clusterStart = guestCluster * EXPORT_SECTORS_PER_CLUSTER;
      const pieceEnd = Math.min(endSector, clusterStart + EXPORT_SECTORS_PER_CLUSTER);
      const mask = bitRangeMask(sector - clusterStart, pieceEnd - clusterStart);
      const last = clusters[clusters.length - 1];
      // Adjacent runs can share a cluster; runs are sorted, so only the last one can be it.
      if (last !== undefined && last.guestCluster === guestCluster) last.sectorMask = (last.sectorMask | mask) >>> 0;
      else clusters.push({ guestCluster, sectorMask: mask });
      sector = pieceEnd;
    }
  }
  return clusters;
}

export function planExportLayout(sizeBytes: number, sectorRuns: readonly SectorRun[]): ExportLayout {
  assertSectorRuns(sizeBytes, sectorRuns);
  const dataClusters = exportDataClusters(sectorRuns);
  const guestClusters = ceilDiv(sizeBytes, EXPORT_CLUSTER_BYTES);
  const l1Entries = ceilDiv(guestClusters, EXPORT_L2_ENTRIES_PER_TABLE);
  const l1Clusters = ceilDiv(l1Entries * 8, EXPORT_CLUSTER_BYTES);
  const l2TableIndices: number[] = [];
  for (const { guestCluster } of dataClusters) {
    const l1Index = Math.floor(guestCluster / EXPORT_L2_ENTRIES_PER_TABLE);
    if (l2TableIndices[l2TableIndices.length - 1] !== l1Index) l2TableIndices.push(l1Index);
  }
  const fixedClusters = 1 + l1Clusters + l2TableIndices.length + dataClusters.length;
  // The refcount blocks must count themselves and the table; grow both until they cover the file.
  let refcountBlocks = 0;
  let refcountTableClusters = 1;
  for (;;) {
    const total = fixedClusters + refcountTableClusters + refcountBlocks;
    const neededBlocks = ceilDiv(total, EXPORT_REFCOUNTS_PER_BLOCK);
    const neededTableClusters = Math.max(1, ceilDiv(neededBlocks * 8, EXPORT_CLUSTER_BYTES));
    if (neededBlocks === refcountBlocks && neededTableClusters === refcountTableClusters) break;
    refcountBlocks = Math.max(refcountBlocks, neededBlocks);
    refcountTableClusters = Math.max(refcountTableClusters, neededTableClusters);
  }
  const totalClusters = fixedClusters + refcountTableClusters + refcountBlocks;
  const l1OffsetBytes = EXPORT_CLUSTER_BYTES;
  const refcountTableOffsetBytes = l1OffsetBytes + l1Clusters * EXPORT_CLUSTER_BYTES;
  const refcountBlocksOffsetBytes = refcountTableOffsetBytes + refcountTableClusters * EXPORT_CLUSTER_BYTES;
  const l2TablesOffsetBytes = refcountBlocksOffsetBytes + refcountBlocks * EXPORT_CLUSTER_BYTES;
  const dataOffsetBytes = l2TablesOffsetBytes + l2TableIndices.length * EXPORT_CLUSTER_BYTES;
  return {
    sizeBytes,
    l1Entries,
    l1Clusters,
    refcountTableClusters,
    refcountBlocks,
    l2TableIndices,
    dataClusters,
    totalClusters,
    l1OffsetBytes,
    refcountTableOffsetBytes,
    refcountBlocksOffsetBytes,
    l2TablesOffsetBytes,
    dataOffsetBytes,
    fileSizeBytes: totalClusters * EXPORT_CLUSTER_BYTES,
  };
}
