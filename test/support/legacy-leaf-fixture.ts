/**
 * A leaf in the layout Leaflab stored before the paged sector map (IndexedDB version 1: meta,
 * blocks, and `sectorMap` with one bitmap record per block, 32 KiB blocks), written with raw
 * IndexedDB exactly as that code wrote it, from a pinned list of writes. Migration tests open
 * it with the current code and compare every sector with `expectedDisk`.
 */
import type { LeafMeta, RootIdentity } from '@/lib/disk/leaf-store';

export const LEGACY_BLOCK_BYTES = 32 * 1024;
const SECTOR = 512;
const SECTORS_PER_BLOCK = LEGACY_BLOCK_BYTES / SECTOR;

/** [firstSector, sectorCount, fill byte]: a guest's writes, in order (later ones win). */
export const PINNED_LEGACY_WRITES: ReadonlyArray<readonly [number, number, number]> = [
  [0, 1, 0x11], // first sector of the disk
  [63, 2, 0x22], // across the first block boundary
  [64 * 5 + 7, 9, 0x33], // inside a block, unaligned
  [64 * 5 + 8, 1, 0x44], // overwrites one sector of the previous write
  [4095, 3, 0x55], // across a 2 MiB page boundary of the new map (sector 4096)
  [64 * 100, 64, 0x66], // a whole block
  [8191, 1, 0x77], // the last sector of the 4 MiB disk
];

export const LEGACY_DISK_BYTES = 4 * 1024 * 1024;

export function legacyRoot(): { identity: RootIdentity; bytes: Uint8Array } {
  const bytes = new Uint8Array(LEGACY_DISK_BYTES);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  return { identity: { id: 'legacy-root', sizeBytes: LEGACY_DISK_BYTES, sha256: 'a'.repeat(64) }, bytes };
}

export function legacyMeta(root: RootIdentity, parentLayerId?: string): LeafMeta {
  return {
    formatVersion: parentLayerId === undefined ? 1 : 2,
    root,
    ...(parentLayerId === undefined ? {} : { parentLayerId }),
    sectorSizeBytes: 512,
    blockSizeBytes: LEGACY_BLOCK_BYTES,
    createdAt: 1_700_000_000_000,
  };
}

/** Each written sector's byte (sector → fill), after the pinned writes. */
export function writtenSectors(writes: ReadonlyArray<readonly [number, number, number]> = PINNED_LEGACY_WRITES): Map<number, number> {
  const sectors = new Map<number, number>();
  for (const [first, count, fill] of writes) for (let sector = first; sector < first + count; sector += 1) sectors.set(sector, fill);
  return sectors;
}

/** The disk a reader must see: the root with the written sectors laid over it. */
export function expectedDisk(rootBytes: Uint8Array, sectors: ReadonlyMap<number, number>): Uint8Array {
  const disk = rootBytes.slice();
  for (const [sector, fill] of sectors) disk.fill(fill, sector * SECTOR, (sector + 1) * SECTOR);
  return disk;
}

/** Writes the leaf as IndexedDB version 1 held it; resolves once its transaction committed. */
export async function writeLegacyLeaf(factory: IDBFactory, databaseName: string, meta: LeafMeta, sectors: ReadonlyMap<number, number>): Promise<void> {
  const blocks = new Map<number, { data: Uint8Array; bitmap: Uint8Array }>();
  for (const [sector, fill] of sectors) {
    const blockIndex = Math.floor(sector / SECTORS_PER_BLOCK);
    let block = blocks.get(blockIndex);
    if (!block) blocks.set(blockIndex, (block = { data: new Uint8Array(LEGACY_BLOCK_BYTES), bitmap: new Uint8Array(SECTORS_PER_BLOCK / 8) }));
    const inBlock = sector - blockIndex * SECTORS_PER_BLOCK;
    block.data.fill(fill, inBlock * SECTOR, (inBlock + 1) * SECTOR);
    block.bitmap[inBlock >> 3] = (block.bitmap[inBlock >> 3] ?? 0) | (1 << (inBlock & 7));
  }
  const request = factory.open(databaseName, 1);
  request.onupgradeneeded = () => {
    for (const store of ['meta', 'blocks', 'sectorMap']) request.result.createObjectStore(store);
  };
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    const tx = db.transaction(['meta', 'blocks', 'sectorMap'], 'readwrite');
    tx.objectStore('meta').put(meta, 'meta');
    for (const [blockIndex, { data, bitmap }] of blocks) {
      tx.objectStore('blocks').put(data, blockIndex);
      tx.objectStore('sectorMap').put(bitmap, blockIndex);
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The database's version and object stores, read without upgrading it. */
export async function databaseLayout(factory: IDBFactory, databaseName: string): Promise<{ version: number; stores: string[] }> {
  const request = factory.open(databaseName);
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const layout = { version: db.version, stores: [...db.objectStoreNames].sort() };
  db.close();
  return layout;
}
