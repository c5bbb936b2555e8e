/**
 * The migration check, run on real IndexedDB in Chromium (test/browser/leaf-migration.test.ts)
 * and on fake-indexeddb in Node, where a failing migration can be injected: a leaf written in
 * the old layout opens with the current code, shows every sector byte for byte, takes more
 * writes, and shows them all again after a reopen.
 */
import { expect } from 'vitest';
import { checkpointLayer } from '@/lib/disk/checkpoint-layer';
import type { FrozenLayer } from '@/lib/disk/frozen-layer';
import { IdbLeafStore, leafDatabaseName } from '@/lib/disk/idb-leaf-store';
import { MemoryLeafStore } from '@/lib/disk/memory-leaf-store';
import { MemoryRootSource } from '@/lib/disk/root-source';
import { SectorMap } from '@/lib/disk/sector-pages';
import { UnionDevice } from '@/lib/disk/union-device';
import {
  expectedDisk,
  LEGACY_BLOCK_BYTES,
  legacyMeta,
  legacyRoot,
  PINNED_LEGACY_WRITES,
  writeLegacyLeaf,
  writtenSectors,
} from './legacy-leaf-fixture';

export const MIGRATION_IMAGE_ID = 'migration-test';
/** Written after the migration: into a migrated block, a new block, and across a page boundary. */
export const WRITES_AFTER_MIGRATION: ReadonlyArray<readonly [number, number, number]> = [
  [10, 3, 0x88],
  [4096 + 5, 70, 0x99],
  [64 * 5 + 9, 1, 0xaa],
];

export interface MigrationRun {
  factory: IDBFactory;
  storageId: string;
  /** The parent layer of a format 2 leaf; undefined for format 1. */
  parentLayerId: string | undefined;
}

/** An empty checkpoint under a format 2 leaf (its parent must be in the chain). */
function parentChain(parentLayerId: string | undefined, root: ReturnType<typeof legacyRoot>['identity']): FrozenLayer[] {
  if (parentLayerId === undefined) return [];
  const meta = { root, blockSizeBytes: LEGACY_BLOCK_BYTES, parentLayerId: undefined };
  return [checkpointLayer(parentLayerId, new MemoryLeafStore(undefined, parentLayerId), meta, new SectorMap(LEGACY_BLOCK_BYTES / 512))];
}

export async function openMigrationDevice(run: MigrationRun): Promise<{ device: UnionDevice; store: IdbLeafStore }> {
  const root = legacyRoot();
  const store = new IdbLeafStore({ imageId: MIGRATION_IMAGE_ID, storageId: run.storageId, indexedDB: run.factory });
  const device = await UnionDevice.open({
    root: new MemoryRootSource(root.bytes),
    rootIdentity: root.identity,
    store,
    chain: parentChain(run.parentLayerId, root.identity),
  });
  return { device, store };
}

/** Reads the whole disk and compares it with `expected`, naming the first sector that differs. */
export async function expectDisk(device: UnionDevice, expected: Uint8Array): Promise<void> {
  const actual = await device.read(0, expected.length);
  for (let sector = 0; sector * 512 < expected.length; sector += 1) {
    const [start, end] = [sector * 512, (sector + 1) * 512];
    if (!actual.subarray(start, end).every((byte, i) => byte === expected[start + i])) {
      expect.fail(`sector ${sector} differs: read ${actual[start]}…, expected ${expected[start]}…`);
    }
  }
}

export async function writeFills(device: UnionDevice, writes: ReadonlyArray<readonly [number, number, number]>): Promise<void> {
  for (const [first, count, fill] of writes) await device.write(first * 512, new Uint8Array(count * 512).fill(fill));
}

export async function createLegacyLeaf(run: MigrationRun): Promise<void> {
  const root = legacyRoot();
  await writeLegacyLeaf(run.factory, leafDatabaseName(MIGRATION_IMAGE_ID, run.storageId), legacyMeta(root.identity, run.parentLayerId), writtenSectors());
}

/**
 * Opens the old leaf, checks every sector, writes more, reopens and checks again. Returns
 * whether each open read the old layout (`legacy`), for the caller to assert.
 */
export async function migrateAndCheck(run: MigrationRun, beforeReopen: () => void = () => undefined): Promise<{ legacyAtFirstOpen: boolean; legacyAtReopen: boolean }> {
  const root = legacyRoot();
  const first = await openMigrationDevice(run);
  expect(first.device.blockSizeBytes).toBe(LEGACY_BLOCK_BYTES); // the old block size is kept
  await expectDisk(first.device, expectedDisk(root.bytes, writtenSectors()));
  await writeFills(first.device, WRITES_AFTER_MIGRATION);
  const legacyAtFirstOpen = first.store.legacy;
  await first.device.close();

  beforeReopen();
  const again = await openMigrationDevice(run);
  await expectDisk(again.device, expectedDisk(root.bytes, writtenSectors([...PINNED_LEGACY_WRITES, ...WRITES_AFTER_MIGRATION])));
  const legacyAtReopen = again.store.legacy;
  await again.device.close();
  return { legacyAtFirstOpen, legacyAtReopen };
}
