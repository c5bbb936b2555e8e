/**
 * The metadata clusters of an exported qcow2 file (header, L1, refcount table and blocks, L2
 * tables), built from an ExportLayout. Each builder returns whole clusters.
 */
import {
  COPIED_FLAG_HIGH,
  HEADER_V3_WRITTEN_BYTES,
  HeaderExtension,
  HeaderField,
  IncompatibleFeature,
  MAX_BACKING_FILE_NAME_BYTES,
  QCOW2_MAGIC,
  QCOW2_VERSION,
  writeU32,
  writeU64,
} from './format';
import {
  EXPORT_CLUSTER_BITS,
  EXPORT_CLUSTER_BYTES,
  EXPORT_L2_ENTRIES_PER_TABLE,
  EXPORT_REFCOUNT_ORDER,
  EXPORT_REFCOUNTS_PER_BLOCK,
  EXTENDED_L2_ENTRY_BYTES,
  type ExportLayout,
} from './export-layout';

export interface BackingNames {
  backingFileName: string;
  backingUrl: string;
}

function padTo8(length: number): number {
  return Math.ceil(length / 8) * 8;
}

/** Cluster 0: the v3 header, the backing-format and URL extensions, the end marker, the backing name. */
export function headerCluster(layout: ExportLayout, names: BackingNames): Uint8Array {
  const encoder = new TextEncoder();
  const nameBytes = encoder.encode(names.backingFileName);
  const urlBytes = encoder.encode(names.backingUrl);
  const formatBytes = encoder.encode('raw');
  if (nameBytes.length === 0 || nameBytes.length > MAX_BACKING_FILE_NAME_BYTES) {
    throw new RangeError(`qcow2 export: the backing file name must be 1 to ${MAX_BACKING_FILE_NAME_BYTES} bytes of UTF-8, not ${nameBytes.length}`);
  }
  const extensions: [type: number, data: Uint8Array][] = [[HeaderExtension.backingFormat, formatBytes]];
  if (urlBytes.length > 0) extensions.push([HeaderExtension.leaflabBackingUrl, urlBytes]);
  const extensionsBytes = extensions.reduce((sum, [, data]) => sum + 8 + padTo8(data.length), 0) + 8;
  const backingFileOffset = HEADER_V3_WRITTEN_BYTES + extensionsBytes;
  if (backingFileOffset + nameBytes.length > EXPORT_CLUSTER_BYTES) {
    throw new RangeError(`qcow2 export: the backing URL (${urlBytes.length} bytes) and file name do not fit in the header cluster`);
  }
  const cluster = new Uint8Array(EXPORT_CLUSTER_BYTES);
  writeU32(cluster, HeaderField.magic, QCOW2_MAGIC);
  writeU32(cluster, HeaderField.version, QCOW2_VERSION);
  writeU64(cluster, HeaderField.backingFileOffset, backingFileOffset);
  writeU32(cluster, HeaderField.backingFileSize, nameBytes.length);
  writeU32(cluster, HeaderField.clusterBits, EXPORT_CLUSTER_BITS);
  writeU64(cluster, HeaderField.size, layout.sizeBytes);
  writeU32(cluster, HeaderField.l1Size, layout.l1Entries);
  writeU64(cluster, HeaderField.l1TableOffset, layout.l1OffsetBytes);
  writeU64(cluster, HeaderField.refcountTableOffset, layout.refcountTableOffsetBytes);
  writeU32(cluster, HeaderField.refcountTableClusters, layout.refcountTableClusters);
  writeU64(cluster, HeaderField.incompatibleFeatures, IncompatibleFeature.extendedL2);
  writeU32(cluster, HeaderField.refcountOrder, EXPORT_REFCOUNT_ORDER);
  writeU32(cluster, HeaderField.headerLength, HEADER_V3_WRITTEN_BYTES);
  // crypt_method, nb_snapshots, snapshots_offset, compatible/autoclear features and the
  // compression type (0 = zlib) stay zero.
  let offset = HEADER_V3_WRITTEN_BYTES;
  for (const [type, data] of extensions) {
    writeU32(cluster, offset, type);
    writeU32(cluster, offset + 4, data.length);
    cluster.set(data, offset + 8);
    offset += 8 + padTo8(data.length);
  }
  // The end-of-extensions marker is the 8 zero bytes already at `offset`.
  cluster.set(nameBytes, backingFileOffset);
  return cluster;
}

/** The L1 table: entry i points at L2 table i when the layout has one. */
export function l1TableClusters(layout: ExportLayout): Uint8Array {
  const table = new Uint8Array(layout.l1Clusters * EXPORT_CLUSTER_BYTES);
  layout.l2TableIndices.forEach((l1Index, tableNumber) => {
    writeU64(table, l1Index * 8, layout.l2TablesOffsetBytes + tableNumber * EXPORT_CLUSTER_BYTES, COPIED_FLAG_HIGH);
  });
  return table;
}

export function refcountTableClusters(layout: ExportLayout): Uint8Array {
  const table = new Uint8Array(layout.refcountTableClusters * EXPORT_CLUSTER_BYTES);
  for (let block = 0; block < layout.refcountBlocks; block += 1) {
    writeU64(table, block * 8, layout.refcountBlocksOffsetBytes + block * EXPORT_CLUSTER_BYTES);
  }
  return table;
}

/** Refcount block `block`: every cluster of the file it covers has refcount 1 (16-bit entries). */
export function refcountBlockCluster(layout: ExportLayout, block: number): Uint8Array {
  const cluster = new Uint8Array(EXPORT_CLUSTER_BYTES);
  const firstCluster = block * EXPORT_REFCOUNTS_PER_BLOCK;
  const count = Math.min(EXPORT_REFCOUNTS_PER_BLOCK, layout.totalClusters - firstCluster);
  for (let entry = 0; entry < count; entry += 1) cluster[entry * 2 + 1] = 1;
  return cluster;
}

/**
 * The L2 table of L1 index `layout.l2TableIndices[tableNumber]`: each data cluster's entry is
 * its host offset (COPIED, refcount 1), no "reads as zero" bits, and the allocation bitmap of
 * the sectors the overlay holds; every other subcluster reads from the backing file.
 * `firstDataIndex` is the index in layout.dataClusters of this table's first cluster; the
 * result says where the next table's clusters start.
 */
export function l2TableCluster(layout: ExportLayout, tableNumber: number, firstDataIndex: number): { cluster: Uint8Array; nextDataIndex: number } {
  const l1Index = layout.l2TableIndices[tableNumber] ?? -1;
  const cluster = new Uint8Array(EXPORT_CLUSTER_BYTES);
  let dataIndex = firstDataIndex;
  for (;;) {
    const data = layout.dataClusters[dataIndex];
    if (data === undefined || Math.floor(data.guestCluster / EXPORT_L2_ENTRIES_PER_TABLE) !== l1Index) break;
    const entryOffset = (data.guestCluster % EXPORT_L2_ENTRIES_PER_TABLE) * EXTENDED_L2_ENTRY_BYTES;
    writeU64(cluster, entryOffset, layout.dataOffsetBytes + dataIndex * EXPORT_CLUSTER_BYTES, COPIED_FLAG_HIGH);
    // Bytes 8-11: "reads as zero" bits (none); bytes 12-15: allocation bits.
    writeU32(cluster, entryOffset + 12, data.sectorMask);
    dataIndex += 1;
  }
  return { cluster, nextDataIndex: dataIndex };
}
