/**
 * qcow2 import: opens an overlay on this lab's root, made by Leaflab's export or by qemu-img
 * (`qemu-img create -f qcow2 -b <root> -F raw`, written by QEMU), and reads the sectors it
 * defines. openQcow2Overlay validates the whole file before it resolves (header, features,
 * backing file identity, every table entry and offset), so a caller creates nothing until
 * then; anything wrong is a Qcow2ImportError with a message a user can act on.
 *
 * Accepted: version 3, any cluster size QEMU allows, standard or extended L2 entries, zero
 * clusters and zero subclusters (their sectors are defined as zeros), refcount widths 1-64.
 * Refused: version 2 (`qemu-img amend -o compat=1.1` upgrades it), unknown incompatible
 * features, the dirty or corrupt bit, external data files, encryption, compressed clusters,
 * non-zlib compression, INTERNAL SNAPSHOTS (only the current disk would be imported, so the
 * user deletes them knowingly), a backing file whose base name is not this root's, a backing
 * format other than raw, and a virtual size other than the root's.
 */
import { SECTOR_SIZE_BYTES } from '../disk/leaf-store';
import type { SectorRun } from './export-layout';
import { Qcow2ImportError, type RandomAccessFile } from './import-error';
import { readQcow2Header, type Qcow2ImportExpectation } from './import-header';
import { readClusterMap, type ClusterMap } from './import-tables';

export interface Qcow2Overlay {
  virtualSizeBytes: number;
  /** The backing file name as the overlay stores it (its base name is one of the expected names). */
  backingFileName: string;
  /** The root's URL, when Leaflab's export noted it. */
  backingUrl: string | undefined;
  /** Sorted, non-overlapping runs of 512-byte sectors the overlay defines (data or zeros). */
  sectorRuns: readonly SectorRun[];
  /** The sectors' bytes; sectors the overlay does not define (see sectorRuns) read as zeros. */
  readSectors(firstSector: number, sectorCount: number): Promise<Uint8Array>;
}

export async function openQcow2Overlay(file: RandomAccessFile, expect: Qcow2ImportExpectation): Promise<Qcow2Overlay> {
  const header = await readQcow2Header(file, expect);
  const map = await readClusterMap(file, header);
  const subclusterBytes = header.clusterBytes / map.subclustersPerCluster;
  const diskSectors = header.virtualSizeBytes / SECTOR_SIZE_BYTES;
  if (!Number.isInteger(diskSectors)) throw new Qcow2ImportError(`The overlay's virtual size ${header.virtualSizeBytes} is not a whole number of 512-byte sectors.`);
  return {
    virtualSizeBytes: header.virtualSizeBytes,
    backingFileName: header.backingFileName,
    backingUrl: header.backingUrl,
    sectorRuns: definedSectorRuns(map, subclusterBytes, diskSectors),
    readSectors: (firstSector, sectorCount) => readMappedSectors(file, map, header.clusterBytes, subclusterBytes, diskSectors, firstSector, sectorCount),
  };
}

/** Each defined subcluster as sectors, clipped to the disk, adjacent ones merged. */
export function definedSectorRuns(map: ClusterMap, subclusterBytes: number, diskSectors: number): SectorRun[] {
  const runs: [number, number][] = [];
  const sectorsPerSubcluster = subclusterBytes / SECTOR_SIZE_BYTES;
  map.guestClusters.forEach((guestCluster, index) => {
    const defined = ((map.dataMasks[index] ?? 0) | (map.zeroMasks[index] ?? 0)) >>> 0;
    for (let subcluster = 0; subcluster < map.subclustersPerCluster; subcluster += 1) {
      if (((defined >>> subcluster) & 1) === 0) continue;
      const first = (guestCluster * map.subclustersPerCluster + subcluster) * sectorsPerSubcluster;
      const end = Math.min(first + sectorsPerSubcluster, diskSectors);
      if (first >= end) continue;
      const last = runs[runs.length - 1];
      if (last !== undefined && last[0] + last[1] === first) last[1] += end - first;
      else runs.push([first, end - first]);
    }
  });
  return runs;
}

/** Index of the first entry whose guest cluster is >= `guestCluster`. */
function firstEntryAtOrAfter(guestClusters: readonly number[], guestCluster: number): number {
  let low = 0;
  let high = guestClusters.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((guestClusters[middle] ?? 0) < guestCluster) low = middle + 1;
    else high = middle;
  }
  return low;
}

async function readMappedSectors(
  file: RandomAccessFile,
  map: ClusterMap,
  clusterBytes: number,
  subclusterBytes: number,
  diskSectors: number,
  firstSector: number,
  sectorCount: number,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(firstSector) || !Number.isSafeInteger(sectorCount) || firstSector < 0 || sectorCount < 0 || firstSector + sectorCount > diskSectors) {
    throw new RangeError(`qcow2 overlay: sectors [${firstSector}, +${sectorCount}) are outside the ${diskSectors}-sector disk`);
  }
  const startBytes = firstSector * SECTOR_SIZE_BYTES;
  const endBytes = startBytes + sectorCount * SECTOR_SIZE_BYTES;
  const out = new Uint8Array(endBytes - startBytes);
  // Host reads, merged while both the host and the output offsets continue the previous one.
  const reads: { hostOffset: number; outOffset: number; length: number }[] = [];
  for (let index = firstEntryAtOrAfter(map.guestClusters, Math.floor(startBytes / clusterBytes)); index < map.guestClusters.length; index += 1) {
    const guestStart = (map.guestClusters[index] ?? 0) * clusterBytes;
    if (guestStart >= endBytes) break;
    const dataMask = map.dataMasks[index] ?? 0;
    for (let subcluster = 0; subcluster < map.subclustersPerCluster; subcluster += 1) {
      if (((dataMask >>> subcluster) & 1) === 0) continue;
      const pieceStart = Math.max(startBytes, guestStart + subcluster * subclusterBytes);
      const pieceEnd = Math.min(endBytes, guestStart + (subcluster + 1) * subclusterBytes);
      if (pieceStart >= pieceEnd) continue;
      const hostOffset = (map.hostOffsets[index] ?? 0) + (pieceStart - guestStart);
      const outOffset = pieceStart - startBytes;
      const last = reads[reads.length - 1];
      if (last !== undefined && last.hostOffset + last.length === hostOffset && last.outOffset + last.length === outOffset) last.length += pieceEnd - pieceStart;
      else reads.push({ hostOffset, outOffset, length: pieceEnd - pieceStart });
    }
  }
  for (const { hostOffset, outOffset, length } of reads) {
    const bytes = await file.read(hostOffset, length);
    if (bytes.length !== length) throw new Qcow2ImportError(`Could not read the overlay's data: asked for ${length} bytes at ${hostOffset}, got ${bytes.length}. Was the file changed while importing?`);
    out.set(bytes, outOffset);
  }
  return out;
}
