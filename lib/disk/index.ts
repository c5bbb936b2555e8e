/** The disk engine: a union block device (leaf in IndexedDB over a root served by HTTP Range) for v86. */
export { RangeSource, RangeSourceError, RANGE_SOURCE_DEFAULTS } from './range-source';
export type { RangeSourceConfig, RangeSourceCounters, RangeSourceErrorKind } from './range-source';
export { ChunkDigestTable } from './chunk-digest-table';
export type { ChunkTableLocation } from './chunk-digest-table';
export { MemoryRootSource, emptyRootCounters } from './root-source';
export type { RootSource, RootSourceCounters, RootLayer } from './root-source';
export { LruByteCache } from './lru-cache';
export { LeafStoreError, LEAF_FORMAT_VERSION, SECTOR_SIZE_BYTES } from './leaf-store';
export type { LeafStore, LeafMeta, LeafBlockRecord, LeafStoreErrorKind, RootIdentity } from './leaf-store';
export { MemoryLeafStore, MemoryLeafBacking } from './memory-leaf-store';
export { IdbLeafStore, leafDatabaseName, measureLeafStore } from './idb-leaf-store';
export type { IdbLeafStoreOptions, LeafUsage } from './idb-leaf-store';
export { LeafBindingError } from './leaf-binding';
export { UnionDevice, DEFAULT_BLOCK_SIZE_BYTES } from './union-device';
export { DEFAULT_MAX_PENDING_BYTES, DEFAULT_COMMIT_RETRIES, DEFAULT_COMMIT_RETRY_DELAY_MS } from './write-journal';
export type {
  UnionDeviceOptions,
  UnionDeviceCounters,
  SectorLayer,
  IoLayers,
  IoListener,
  ErrorListener,
} from './union-device';
export { countSectorLayers, emptySectorLayerCounts } from './sector-layer-counts';
export type { SectorLayerCounts } from './sector-layer-counts';
export { parseMbr, partitionsOverlapping, partitionLabel, MBR_TYPE_NAMES } from './mbr';
export type { MbrLayout, MbrPartition } from './mbr';
export { V86DiskAdapter } from './v86-disk-adapter';
export type { V86DiskAdapterOptions, V86DiskState, V86DiskErrorListener } from './v86-disk-adapter';
