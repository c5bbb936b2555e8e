/**
 * The qcow2 v3 on-disk constants this library reads and writes (QEMU's docs/interop/qcow2.txt).
 * Every multi-byte field is big-endian. 64-bit fields are handled as two 32-bit halves so that
 * nothing here needs BigInt and no value above 2^53 is ever turned into a (rounded) number.
 */

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
export const QCOW2_VERSION = 3;
/** A v3 header is 104 bytes, or 112 with the compression-type byte and its padding. */
export const HEADER_V3_MIN_BYTES = 104;
export const HEADER_V3_WRITTEN_BYTES = 112;

/** Byte offsets of the header's fields. */
export const HeaderField = {
  magic: 0,
  version: 4,
  backingFileOffset: 8,
  backingFileSize: 16,
  clusterBits: 20,
  size: 24,
  cryptMethod: 32,
  l1Size: 36,
  l1TableOffset: 40,
  refcountTableOffset: 48,
  refcountTableClusters: 56,
  nbSnapshots: 60,
  snapshotsOffset: 64,
  incompatibleFeatures: 72,
  compatibleFeatures: 80,
  autoclearFeatures: 88,
  refcountOrder: 96,
  headerLength: 100,
  compressionType: 104,
} as const;

/** Incompatible feature bits (all below bit 32, so the low half of the field holds them). */
export const IncompatibleFeature = {
  dirty: 1 << 0,
  corrupt: 1 << 1,
  externalDataFile: 1 << 2,
  compressionType: 1 << 3,
  extendedL2: 1 << 4,
} as const;
export const KNOWN_INCOMPATIBLE_FEATURES = 0x1f;

/** Header extension types. */
export const HeaderExtension = {
  end: 0x00000000,
  backingFormat: 0xe2792aca,
  featureNameTable: 0x6803f857,
  bitmaps: 0x23852875,
  fullDiskEncryption: 0x0537be77,
  externalDataFile: 0x44415441,
  /**
   * Leaflab's own, non-critical extension: the URL the backing (root) image was downloaded
   * from, UTF-8. QEMU keeps unknown extensions and otherwise ignores them. "LLUR".
   */
  leaflabBackingUrl: 0x4c4c5552,
} as const;

/** QEMU limits a backing file name to 1023 bytes. */
export const MAX_BACKING_FILE_NAME_BYTES = 1023;
/** QEMU accepts clusters of 512 bytes (bits 9) to 2 MiB (bits 21). */
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** Extended L2 entries split each cluster into 32 subclusters; a subcluster is at least 512 bytes. */
export const SUBCLUSTERS_PER_EXTENDED_CLUSTER = 32;
export const MIN_EXTENDED_L2_CLUSTER_BITS = 14;
/** QEMU's bound on the active L1 table (QCOW_MAX_L1_SIZE), in bytes. */
export const MAX_L1_TABLE_BYTES = 32 * 1024 * 1024;
/** QEMU's bound on the refcount table (QCOW_MAX_REFTABLE_SIZE), in bytes. */
export const MAX_REFCOUNT_TABLE_BYTES = 8 * 1024 * 1024;

/** Bit 63 of an L1/L2 entry: the cluster's refcount is exactly 1. */
export const COPIED_FLAG_HIGH = 0x80000000;
/** Bit 62 of an L2 entry: the cluster is compressed. */
export const COMPRESSED_FLAG_HIGH = 0x40000000;

export const TWO_TO_32 = 0x1_0000_0000;

export function readU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0, false);
}

/** A 64-bit field as its high and low 32-bit halves. */
export interface U64 {
  high: number;
  low: number;
}

export function readU64(bytes: Uint8Array, offset: number): U64 {
  return { high: readU32(bytes, offset), low: readU32(bytes, offset + 4) };
}

/** The value when it is a safe integer (below 2^53), else undefined. */
export function u64ToSafeNumber(value: U64): number | undefined {
  if (value.high >= 0x200000) return undefined;
  return value.high * TWO_TO_32 + value.low;
}

/** Writes a non-negative safe integer, optionally OR-ing `highFlags` into the top half. */
export function writeU64(bytes: Uint8Array, offset: number, value: number, highFlags = 0): void {
  const high = Math.floor(value / TWO_TO_32);
  writeU32(bytes, offset, (high | highFlags) >>> 0);
  writeU32(bytes, offset + 4, value % TWO_TO_32);
}

export function ceilDiv(numerator: number, denominator: number): number {
  return Math.ceil(numerator / denominator);
}
