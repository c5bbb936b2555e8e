/**
 * The header check of a qcow2 import: everything in cluster 0 (fields, feature bits, header
 * extensions, backing file name and format) is validated against what Leaflab can import and
 * against the root this lab has, before any table is read.
 */
import {
  HEADER_V3_MIN_BYTES,
  HeaderExtension,
  HeaderField,
  IncompatibleFeature,
  KNOWN_INCOMPATIBLE_FEATURES,
  MAX_BACKING_FILE_NAME_BYTES,
  MAX_CLUSTER_BITS,
  MAX_L1_TABLE_BYTES,
  MAX_REFCOUNT_TABLE_BYTES,
  MIN_CLUSTER_BITS,
  MIN_EXTENDED_L2_CLUSTER_BITS,
  QCOW2_MAGIC,
  QCOW2_VERSION,
  ceilDiv,
  readU32,
  readU64,
  u64ToSafeNumber,
} from './format';
import { Qcow2ImportError, readExactly, type RandomAccessFile } from './import-error';

export interface Qcow2ImportExpectation {
  sizeBytes: number;
  /** Backing file base names accepted as this root, e.g. ["leaflab-linux-7d3872621cbe.img", "<sha64>.img"]. */
  backingFileNames: readonly string[];
}

export interface Qcow2Header {
  clusterBits: number;
  clusterBytes: number;
  extendedL2: boolean;
  virtualSizeBytes: number;
  l1Entries: number;
  /** L1 entries the virtual size needs; entries past these must be empty. */
  l1EntriesNeeded: number;
  l1OffsetBytes: number;
  refcountTableOffsetBytes: number;
  refcountTableClusters: number;
  backingFileName: string;
  backingUrl: string | undefined;
}

const SEE_FIX = 'Leaflab imports qcow2 v3 overlays made by Leaflab or by qemu-img on this lab\'s root image.';

function refuse(message: string): never {
  throw new Qcow2ImportError(message);
}

function safeField(bytes: Uint8Array, offset: number, what: string): number {
  const value = u64ToSafeNumber(readU64(bytes, offset));
  if (value === undefined) refuse(`The qcow2 header is corrupt: its ${what} is larger than any real file.`);
  return value;
}

export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

export async function readQcow2Header(file: RandomAccessFile, expect: Qcow2ImportExpectation): Promise<Qcow2Header> {
  if (file.sizeBytes < HEADER_V3_MIN_BYTES) {
    refuse(`This file is not a qcow2 image, or is truncated: it has only ${file.sizeBytes} bytes, less than a qcow2 header.`);
  }
  const fixed = await readExactly(file, 0, HEADER_V3_MIN_BYTES, 'header');
  if (readU32(fixed, HeaderField.magic) !== QCOW2_MAGIC) refuse(`This file is not a qcow2 image (it does not start with the qcow2 magic "QFI\\xfb"). ${SEE_FIX}`);
  const version = readU32(fixed, HeaderField.version);
  if (version === 2) {
    refuse('This is a qcow2 version 2 (compat=0.10) image; Leaflab imports version 3. Upgrade it in place with: qemu-img amend -f qcow2 -o compat=1.1 <file>.qcow2');
  }
  if (version !== QCOW2_VERSION) refuse(`This qcow2 image has version ${version}; Leaflab imports version 3 only.`);
  const clusterBits = readU32(fixed, HeaderField.clusterBits);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    refuse(`The qcow2 header is corrupt: cluster_bits is ${clusterBits}, outside QEMU's ${MIN_CLUSTER_BITS} to ${MAX_CLUSTER_BITS}.`);
  }
  const clusterBytes = 2 ** clusterBits;
  const headerLength = readU32(fixed, HeaderField.headerLength);
  if (headerLength < HEADER_V3_MIN_BYTES || headerLength % 8 !== 0 || headerLength > clusterBytes) {
    refuse(`The qcow2 header is corrupt: its header_length ${headerLength} is not a multiple of 8 between ${HEADER_V3_MIN_BYTES} and the ${clusterBytes}-byte cluster.`);
  }
  const headerCluster = await readExactly(file, 0, Math.min(clusterBytes, file.sizeBytes), 'first cluster');
  checkFeatures(headerCluster, headerLength, clusterBits);
  if (readU32(headerCluster, HeaderField.cryptMethod) !== 0) {
    refuse('This qcow2 image is encrypted; Leaflab cannot import encrypted images. Decrypt it first with qemu-img convert (e.g. --object secret,... --image-opts ... -O qcow2).');
  }
  const snapshots = readU32(headerCluster, HeaderField.nbSnapshots);
  if (snapshots !== 0) {
    refuse(`This qcow2 image has ${snapshots} internal snapshot(s); Leaflab imports only the current disk and would drop them silently. List them with "qemu-img snapshot -l <file>" and delete them with "qemu-img snapshot -d <name> <file>" first.`);
  }
  const refcountOrder = readU32(headerCluster, HeaderField.refcountOrder);
  if (refcountOrder > 6) refuse(`The qcow2 header is corrupt: refcount_order ${refcountOrder} is above 6.`);

  const backingFileOffset = safeField(headerCluster, HeaderField.backingFileOffset, 'backing file offset');
  const backingFileSize = readU32(headerCluster, HeaderField.backingFileSize);
  const extensions = readExtensions(headerCluster, headerLength, backingFileOffset === 0 ? headerCluster.length : Math.min(backingFileOffset, headerCluster.length));
  const backingFileName = readBackingName(headerCluster, headerLength, backingFileOffset, backingFileSize, expect);
  if (extensions.backingFormat !== 'raw') {
    const stated = extensions.backingFormat === undefined ? 'does not state its backing file\'s format' : `says its backing file is "${extensions.backingFormat}"`;
    refuse(`This qcow2 image ${stated}; Leaflab's root is a raw image. If the backing file is the raw root, fix the header with: qemu-img rebase -u -b ${backingFileName} -F raw <file>.qcow2`);
  }

  const virtualSizeBytes = safeField(headerCluster, HeaderField.size, 'virtual size');
  if (virtualSizeBytes !== expect.sizeBytes) {
    refuse(`This overlay's virtual disk is ${virtualSizeBytes} bytes, but this lab's root image is ${expect.sizeBytes} bytes; it was not made on this root (or was resized). Make the overlay the size of the root.`);
  }
  const extendedL2 = (readU32(headerCluster, HeaderField.incompatibleFeatures + 4) & IncompatibleFeature.extendedL2) !== 0;
  const l2EntryBytes = extendedL2 ? 16 : 8;
  const l1EntriesNeeded = ceilDiv(ceilDiv(virtualSizeBytes, clusterBytes), clusterBytes / l2EntryBytes);
  const l1Entries = readU32(headerCluster, HeaderField.l1Size);
  if (l1Entries < l1EntriesNeeded || l1Entries * 8 > MAX_L1_TABLE_BYTES) {
    refuse(`The qcow2 header is corrupt: its L1 table has ${l1Entries} entries; a ${virtualSizeBytes}-byte disk needs ${l1EntriesNeeded} (at most ${MAX_L1_TABLE_BYTES / 8}).`);
  }
  const l1OffsetBytes = safeField(headerCluster, HeaderField.l1TableOffset, 'L1 table offset');
  checkTablePlace('L1 table', l1OffsetBytes, l1Entries * 8, clusterBytes, file.sizeBytes);
  const refcountTableOffsetBytes = safeField(headerCluster, HeaderField.refcountTableOffset, 'refcount table offset');
  const refcountTableClusters = readU32(headerCluster, HeaderField.refcountTableClusters);
  if (refcountTableClusters === 0 || refcountTableClusters * clusterBytes > MAX_REFCOUNT_TABLE_BYTES) {
    refuse(`The qcow2 header is corrupt: its refcount table is ${refcountTableClusters} clusters (1 to ${Math.floor(MAX_REFCOUNT_TABLE_BYTES / clusterBytes)} allowed).`);
  }
  checkTablePlace('refcount table', refcountTableOffsetBytes, refcountTableClusters * clusterBytes, clusterBytes, file.sizeBytes);
  return {
    clusterBits,
    clusterBytes,
    extendedL2,
    virtualSizeBytes,
    l1Entries,
    l1EntriesNeeded,
    l1OffsetBytes,
    refcountTableOffsetBytes,
    refcountTableClusters,
    backingFileName,
    backingUrl: extensions.backingUrl,
  };
}

function checkTablePlace(what: string, offsetBytes: number, lengthBytes: number, clusterBytes: number, fileBytes: number): void {
  if (offsetBytes % clusterBytes !== 0 || offsetBytes < clusterBytes || offsetBytes + lengthBytes > fileBytes) {
    refuse(`The qcow2 file is corrupt or truncated: its ${what} (${lengthBytes} bytes at offset ${offsetBytes}) is not cluster-aligned after the header, or lies past the end of the ${fileBytes}-byte file.`);
  }
}

function checkFeatures(header: Uint8Array, headerLength: number, clusterBits: number): void {
  const high = readU32(header, HeaderField.incompatibleFeatures);
  const low = readU32(header, HeaderField.incompatibleFeatures + 4);
  if (high !== 0 || (low & ~KNOWN_INCOMPATIBLE_FEATURES) !== 0) {
    refuse(`This qcow2 image uses incompatible features Leaflab does not know (feature bits 0x${high.toString(16)}${low.toString(16).padStart(8, '0')}); it needs a newer tool. Convert it with a QEMU that knows them: qemu-img convert -O qcow2 -B <root> -F raw in.qcow2 out.qcow2`);
  }
  if (low & IncompatibleFeature.dirty) {
    refuse('This qcow2 image was not closed cleanly (its dirty bit is set). Repair it with "qemu-img check -r all <file>.qcow2", then import it again.');
  }
  if (low & IncompatibleFeature.corrupt) {
    refuse('QEMU marked this qcow2 image corrupt. Repair it with "qemu-img check -r all <file>.qcow2" (and check the data), then import it again.');
  }
  if (low & IncompatibleFeature.externalDataFile) {
    refuse('This qcow2 image keeps its data in an external data file; Leaflab imports self-contained overlays only. Make one with qemu-img convert -O qcow2 -B <root> -F raw.');
  }
  const compressionType = headerLength > HEADER_V3_MIN_BYTES ? (header[HeaderField.compressionType] ?? 0) : 0;
  if ((low & IncompatibleFeature.compressionType) !== 0 || compressionType !== 0) {
    refuse(`This qcow2 image uses compression type ${compressionType} (not zlib); Leaflab imports uncompressed overlays. Rewrite it with qemu-img convert -O qcow2 -B <root> -F raw (without -c).`);
  }
  if ((low & IncompatibleFeature.extendedL2) !== 0 && clusterBits < MIN_EXTENDED_L2_CLUSTER_BITS) {
    refuse(`The qcow2 header is corrupt: extended L2 entries need clusters of at least 16 KiB, but cluster_bits is ${clusterBits}.`);
  }
}

interface Extensions {
  backingFormat: string | undefined;
  backingUrl: string | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return refuse(`The qcow2 header is corrupt: its ${what} is not valid UTF-8.`);
  }
}

/** Header extensions live between the header and `endBytes` (the backing name or the cluster's end). */
function readExtensions(header: Uint8Array, headerLength: number, endBytes: number): Extensions {
  const found: Extensions = { backingFormat: undefined, backingUrl: undefined };
  let offset = headerLength;
  for (;;) {
    if (offset + 8 > endBytes) refuse('The qcow2 header is corrupt: its header extensions run past the end of the header area (no end marker).');
    const type = readU32(header, offset);
    const length = readU32(header, offset + 4);
    if (type === HeaderExtension.end) return found;
    const dataEnd = offset + 8 + length;
    if (dataEnd > endBytes) refuse(`The qcow2 header is corrupt: header extension 0x${type.toString(16)} (${length} bytes) runs past the end of the header area.`);
    const data = header.subarray(offset + 8, dataEnd);
    if (type === HeaderExtension.backingFormat) found.backingFormat = decodeUtf8(data, 'backing format');
    else if (type === HeaderExtension.leaflabBackingUrl) found.backingUrl = decodeUtf8(data, 'backing URL note');
    else if (type === HeaderExtension.externalDataFile) refuse('This qcow2 image names an external data file; Leaflab imports self-contained overlays only.');
    else if (type === HeaderExtension.fullDiskEncryption) refuse('This qcow2 image is encrypted (LUKS); Leaflab cannot import encrypted images.');
    // Feature names, bitmaps and extensions Leaflab does not know carry nothing the disk's
    // contents depend on; QEMU ignores unknown ones too.
    offset += 8 + Math.ceil(length / 8) * 8;
  }
}

function readBackingName(header: Uint8Array, headerLength: number, offset: number, size: number, expect: Qcow2ImportExpectation): string {
  const root = expect.backingFileNames[0] ?? '<the root image>';
  if (offset === 0 || size === 0) {
    refuse(`This qcow2 image has no backing file, so it is a whole disk, not an overlay on this lab's root. Leaflab imports overlays whose backing file is "${root}" (qemu-img create -f qcow2 -b ${root} -F raw <file>.qcow2).`);
  }
  if (size > MAX_BACKING_FILE_NAME_BYTES || offset < headerLength || offset + size > header.length) {
    refuse(`The qcow2 header is corrupt: its backing file name (${size} bytes at offset ${offset}) is outside the header cluster or longer than ${MAX_BACKING_FILE_NAME_BYTES} bytes.`);
  }
  const name = decodeUtf8(header.subarray(offset, offset + size), 'backing file name');
  if (!expect.backingFileNames.includes(baseName(name))) {
    refuse(`This overlay's backing file is "${name}", but this lab's root image is "${root}". Import only overlays made on this root. If "${name}" is a copy of this root, point the overlay at it by name with: qemu-img rebase -u -b ${root} -F raw <file>.qcow2`);
  }
  return name;
}
