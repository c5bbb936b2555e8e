/**
 * The figures a page check (lib/labs/page-check.ts) compares: measured on the running union
 * disk, over the whole disk, the way the block map counts its cells. Plain TypeScript.
 */
import type { PageMeasure } from '../labs/page-check';
import { SECTOR_SIZE_BYTES } from '../disk/leaf-store';
import type { SectorLayerCounts } from '../disk/sector-layer-counts';

export type DiskMeasures = Record<PageMeasure, number>;

/** What the measures need from the disk; `UnionDevice` satisfies it. */
export interface MeasuredDisk {
  readonly sectorCount: number;
  sectorLayerCounts(firstSector: number, endSector: number): SectorLayerCounts;
  readonly layers: readonly unknown[];
}

/** A few milliseconds even on a 2 GiB disk: counting goes a leaf block and a root chunk at a time. */
export function measureDisk(disk: MeasuredDisk): DiskMeasures {
  const counts = disk.sectorLayerCounts(0, disk.sectorCount);
  return {
    liveLeafBytes: (counts.leafSectors + counts.pendingSectors) * SECTOR_SIZE_BYTES,
    frozenLayers: disk.layers.length,
    rootFetchedBytes: counts.rootCachedSectors * SECTOR_SIZE_BYTES,
  };
}
