/**
 * The table check of a qcow2 import: reads the refcount table, L1 and every L2 table, and
 * checks every offset (aligned, inside the file, no cluster used twice, no data cluster on
 * metadata) and every reserved bit. What it returns maps each guest cluster the overlay
 * defines to its host cluster and which subclusters hold data or read as zeros.
 *
 * Work and memory are bounded by the file's size: each table is only read after its cluster
 * was claimed in a one-bit-per-host-cluster map, so no table can be read twice and no count in
 * the file can make this allocate more than the file holds.
 */
import { COMPRESSED_FLAG_HIGH, SUBCLUSTERS_PER_EXTENDED_CLUSTER, readU32, TWO_TO_32 } from './format';
import { Qcow2ImportError, readExactly, type RandomAccessFile } from './import-error';
import type { Qcow2Header } from './import-header';

/** The clusters the overlay defines, ascending by guest cluster (parallel arrays). */
export interface ClusterMap {
  /** 32 for extended L2 (a bit per subcluster), else 1 (the whole cluster). */
  subclustersPerCluster: number;
  guestClusters: number[];
  hostOffsets: number[];
  /** Subclusters read from the host cluster. */
  dataMasks: number[];
  /** Subclusters that read as zeros. */
  zeroMasks: number[];
}

function refuse(message: string): never {
  throw new Qcow2ImportError(message);
}

class HostClusterClaims {
  private readonly claimed: Uint8Array;
  constructor(
    private readonly clusterBytes: number,
    private readonly fileBytes: number,
  ) {
    this.claimed = new Uint8Array(Math.ceil(Math.ceil(fileBytes / clusterBytes) / 8));
  }

  /** Claims the clusters of [offset, offset + length); refuses misaligned, past-the-end or claimed ones. */
  claim(offsetBytes: number, lengthBytes: number, what: string): void {
    if (offsetBytes % this.clusterBytes !== 0) refuse(`The qcow2 file is corrupt: the ${what} at offset ${offsetBytes} is not aligned to a ${this.clusterBytes}-byte cluster.`);
    if (offsetBytes + lengthBytes > this.fileBytes) {
      refuse(`The qcow2 file is truncated or corrupt: the ${what} at offset ${offsetBytes} (${lengthBytes} bytes) lies past the end of the ${this.fileBytes}-byte file.`);
    }
    const first = offsetBytes / this.clusterBytes;
    const end = first + Math.max(1, Math.ceil(lengthBytes / this.clusterBytes));
    for (let cluster = first; cluster < end; cluster += 1) {
      const bit = 1 << (cluster & 7);
      const byte = this.claimed[cluster >> 3] ?? 0;
      if (byte & bit) refuse(`The qcow2 file is corrupt: the ${what} at offset ${offsetBytes} overlaps other metadata or data in the file.`);
      this.claimed[cluster >> 3] = byte | bit;
    }
  }
}

/** Bits 9-55 of an entry's two halves: the host offset (low 9 bits are never part of it). */
function entryOffset(high: number, low: number): number {
  return (high & 0x00ffffff) * TWO_TO_32 + ((low & ~0x1ff) >>> 0);
}

export async function readClusterMap(file: RandomAccessFile, header: Qcow2Header): Promise<ClusterMap> {
  const { clusterBytes } = header;
  const claims = new HostClusterClaims(clusterBytes, file.sizeBytes);
  claims.claim(0, Math.min(clusterBytes, file.sizeBytes), 'header');
  claims.claim(header.l1OffsetBytes, header.l1Entries * 8, 'L1 table');
  const refcountTableBytes = header.refcountTableClusters * clusterBytes;
  claims.claim(header.refcountTableOffsetBytes, refcountTableBytes, 'refcount table');
  const refcountTable = await readExactly(file, header.refcountTableOffsetBytes, refcountTableBytes, 'refcount table');
  for (let entry = 0; entry < refcountTableBytes; entry += 8) {
    const high = readU32(refcountTable, entry);
    const low = readU32(refcountTable, entry + 4);
    if ((low & 0x1ff) !== 0 || high >= 0x01000000) refuse(`The qcow2 file is corrupt: refcount table entry ${entry / 8} has reserved bits set.`);
    const offset = entryOffset(high, low);
    if (offset !== 0) claims.claim(offset, clusterBytes, `refcount block ${entry / 8}`);
  }

  const l1 = await readExactly(file, header.l1OffsetBytes, header.l1Entries * 8, 'L1 table');
  const l2Tables: { l1Index: number; offsetBytes: number }[] = [];
  for (let l1Index = 0; l1Index < header.l1Entries; l1Index += 1) {
    const high = readU32(l1, l1Index * 8);
    const low = readU32(l1, l1Index * 8 + 4);
    if ((low & 0x1ff) !== 0 || (high & 0x7f000000) !== 0) refuse(`The qcow2 file is corrupt: L1 entry ${l1Index} has reserved bits set.`);
    const offsetBytes = entryOffset(high, low);
    if (offsetBytes === 0) continue;
    if (l1Index >= header.l1EntriesNeeded) refuse(`The qcow2 file is corrupt: L1 entry ${l1Index} points at an L2 table past the end of the ${header.virtualSizeBytes}-byte disk.`);
    claims.claim(offsetBytes, clusterBytes, `L2 table of L1 entry ${l1Index}`);
    l2Tables.push({ l1Index, offsetBytes });
  }

  const map: ClusterMap = { subclustersPerCluster: header.extendedL2 ? SUBCLUSTERS_PER_EXTENDED_CLUSTER : 1, guestClusters: [], hostOffsets: [], dataMasks: [], zeroMasks: [] };
  const entryBytes = header.extendedL2 ? 16 : 8;
  const entriesPerTable = clusterBytes / entryBytes;
  for (const { l1Index, offsetBytes } of l2Tables) {
    const table = await readExactly(file, offsetBytes, clusterBytes, `L2 table of L1 entry ${l1Index}`);
    for (let index = 0; index < entriesPerTable; index += 1) {
      readL2Entry(table, index * entryBytes, l1Index * entriesPerTable + index, header, claims, map, file.sizeBytes);
    }
  }
  return map;
}

function readL2Entry(table: Uint8Array, at: number, guestCluster: number, header: Qcow2Header, claims: HostClusterClaims, map: ClusterMap, fileBytes: number): void {
  const high = readU32(table, at);
  const low = readU32(table, at + 4);
  const where = `the L2 entry of guest cluster ${guestCluster}`;
  if (high & COMPRESSED_FLAG_HIGH) {
    refuse('This qcow2 image has compressed clusters; Leaflab imports uncompressed overlays only. Rewrite it without compression: qemu-img convert -O qcow2 -B <root> -F raw in.qcow2 out.qcow2 (no -c).');
  }
  const reservedLowMask = header.extendedL2 ? 0x1ff : 0x1fe;
  if ((high & 0x3f000000) !== 0 || (low & reservedLowMask) !== 0) refuse(`The qcow2 file is corrupt: ${where} has reserved bits set.`);
  const hostOffset = entryOffset(high, low);
  let dataMask: number;
  let zeroMask: number;
  if (header.extendedL2) {
    zeroMask = readU32(table, at + 8);
    dataMask = readU32(table, at + 12);
    if ((zeroMask & dataMask) !== 0) refuse(`The qcow2 file is corrupt: ${where} marks subclusters both allocated and zero.`);
    if (dataMask !== 0 && hostOffset === 0) refuse(`The qcow2 file is corrupt: ${where} has allocated subclusters but no host cluster.`);
  } else {
    zeroMask = low & 1;
    dataMask = zeroMask === 0 && hostOffset !== 0 ? 1 : 0;
  }
  if (hostOffset !== 0) {
    // Only the bytes that are read must be in the file (QEMU may not have written the rest of
    // a cluster whose last subclusters are unallocated).
    const subclusterBytes = header.clusterBytes / map.subclustersPerCluster;
    const readEnd = dataMask === 0 ? 1 : (32 - Math.clz32(dataMask)) * subclusterBytes;
    if (hostOffset + readEnd > fileBytes) {
      refuse(`The qcow2 file is truncated or corrupt: ${where} points at offset ${hostOffset}, past the end of the ${fileBytes}-byte file.`);
    }
    claims.claim(hostOffset, Math.min(header.clusterBytes, fileBytes - hostOffset), `data cluster of guest cluster ${guestCluster}`);
  }
  if (dataMask === 0 && zeroMask === 0) return;
  map.guestClusters.push(guestCluster);
  map.hostOffsets.push(hostOffset);
  map.dataMasks.push(dataMask >>> 0);
  map.zeroMasks.push(zeroMask >>> 0);
}
