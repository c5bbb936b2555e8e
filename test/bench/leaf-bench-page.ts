/**
 * The leaf bench's in-page half (bundled by leaf-bench.ts, run in headless Chromium on its
 * real IndexedDB): builds a leaf with many mapped blocks, opens it, and measures write
 * amplification. Exposed as `globalThis.LeafBench`.
 */
import { IdbLeafStore } from '../../lib/disk/idb-leaf-store';
import type { LeafMeta, RootIdentity } from '../../lib/disk/leaf-store';
import { openLeaf, type OpenedLeaf } from '../../lib/disk/open-leaf';
import { UnionDevice } from '../../lib/disk/union-device';
import { LazyRootSource } from './lazy-root-source';

const IMAGE_ID = 'leaf-bench';
const BLOCK_BYTES = 4096;
const DISK_BYTES = 2 * 1024 * 1024 * 1024;
const ROOT: RootIdentity = { id: 'leaf-bench-root', sizeBytes: DISK_BYTES, sha256: 'e'.repeat(64) };
/** Mapped blocks are every 5th block of the 2 GiB disk: every 2 MiB sector page holds some. */
const BLOCK_STRIDE = 5;
const BLOCKS_PER_TRANSACTION = 2000;

let opened: OpenedLeaf | undefined;
let openedStore: IdbLeafStore | undefined;
let openedDevice: UnionDevice | undefined;

/** Writes `blockCount` mapped 4 KiB blocks through the store; returns the time it took, ms. */
async function createLeaf(storageId: string, blockCount: number): Promise<number> {
  const startedAt = performance.now();
  const store = new IdbLeafStore({ imageId: IMAGE_ID, storageId });
  await store.open();
  const meta: LeafMeta = { formatVersion: 1, root: ROOT, sectorSizeBytes: 512, blockSizeBytes: BLOCK_BYTES, createdAt: Date.now() };
  for (let first = 0; first < blockCount; first += BLOCKS_PER_TRANSACTION) {
    const records = [];
    for (let i = first; i < Math.min(blockCount, first + BLOCKS_PER_TRANSACTION); i += 1) {
      records.push({ blockIndex: i * BLOCK_STRIDE, data: new Uint8Array(BLOCK_BYTES).fill(i & 0xff), validSectors: Uint8Array.of(0xff) });
    }
    await store.writeBlocks(records, first === 0 ? meta : undefined);
  }
  store.close();
  return performance.now() - startedAt;
}

function request<T>(idbRequest: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

/**
 * The same leaf in the layout before the paged map (IndexedDB version 1: a `sectorMap` record
 * per block), written with raw IndexedDB as that code wrote it; ms.
 */
async function createLegacyLeaf(storageId: string, blockCount: number): Promise<number> {
  const startedAt = performance.now();
  const open = indexedDB.open(`leaflab-leaf:${IMAGE_ID}:${storageId}`, 1);
  open.onupgradeneeded = () => ['meta', 'blocks', 'sectorMap'].forEach((name) => open.result.createObjectStore(name));
  const db = await request(open);
  const meta: LeafMeta = { formatVersion: 1, root: ROOT, sectorSizeBytes: 512, blockSizeBytes: BLOCK_BYTES, createdAt: Date.now() };
  for (let first = 0; first < blockCount; first += BLOCKS_PER_TRANSACTION) {
    const tx = db.transaction(['meta', 'blocks', 'sectorMap'], 'readwrite', { durability: 'strict' });
    if (first === 0) tx.objectStore('meta').put(meta, 'meta');
    for (let i = first; i < Math.min(blockCount, first + BLOCKS_PER_TRANSACTION); i += 1) {
      tx.objectStore('blocks').put(new Uint8Array(BLOCK_BYTES).fill(i & 0xff), i * BLOCK_STRIDE);
      tx.objectStore('sectorMap').put(Uint8Array.of(0xff), i * BLOCK_STRIDE);
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
  }
  db.close();
  return performance.now() - startedAt;
}

let legacyKept: Map<number, Uint8Array> | undefined;

/** What opening cost before: version 1's metadata and whole per-block map, kept as a Map; ms. */
async function openLegacyKept(storageId: string, expectedBlocks: number): Promise<number> {
  const startedAt = performance.now();
  const db = await request(indexedDB.open(`leaflab-leaf:${IMAGE_ID}:${storageId}`, 1));
  const tx = db.transaction(['meta', 'sectorMap'], 'readonly');
  const [, keys, bitmaps] = await Promise.all([
    request(tx.objectStore('meta').get('meta')),
    request(tx.objectStore('sectorMap').getAllKeys()),
    request(tx.objectStore('sectorMap').getAll()),
  ]);
  legacyKept = new Map(keys.map((key, i) => [key as number, bitmaps[i] as Uint8Array]));
  db.close();
  const elapsedMs = performance.now() - startedAt;
  if (legacyKept.size !== expectedBlocks) throw new Error(`the old leaf has ${legacyKept.size} map records, not ${expectedBlocks}`);
  return elapsedMs;
}

/** Opens the leaf as the device does (metadata and sector map, no blocks) and keeps it alive; ms. */
async function openKept(storageId: string, expectedBlocks: number): Promise<number> {
  const startedAt = performance.now();
  const store = new IdbLeafStore({ imageId: IMAGE_ID, storageId });
  const leaf = await openLeaf(store, ROOT, BLOCK_BYTES, Date.now());
  const elapsedMs = performance.now() - startedAt;
  if (leaf.sectorMap.size !== expectedBlocks) throw new Error(`the leaf opened with ${leaf.sectorMap.size} blocks, not ${expectedBlocks}`);
  opened = leaf;
  openedStore = store;
  return elapsedMs;
}

/** The whole device over the leaf (leaf, write journal, empty layer chain), kept alive; ms. */
async function openDeviceKept(storageId: string, expectedBlocks: number): Promise<number> {
  const startedAt = performance.now();
  const store = new IdbLeafStore({ imageId: IMAGE_ID, storageId });
  const device = await UnionDevice.open({ root: new LazyRootSource(DISK_BYTES), rootIdentity: ROOT, store });
  const elapsedMs = performance.now() - startedAt;
  if (device.counters.leafBlocks !== expectedBlocks) throw new Error(`the device opened with ${device.counters.leafBlocks} leaf blocks, not ${expectedBlocks}`);
  openedDevice = device;
  return elapsedMs;
}

async function dropKept(): Promise<void> {
  openedStore?.close();
  await openedDevice?.close();
  opened = undefined;
  openedStore = undefined;
  openedDevice = undefined;
  legacyKept = undefined;
}

/**
 * `writes` random 4 KiB-aligned writes of 4 KiB, each awaited (the device resolves a write once
 * its transaction committed, strict durability: a flush per write). Amplification is the
 * store's own count of bytes put into IndexedDB over the bytes the guest wrote.
 */
async function amplification(storageId: string, blockSizeBytes: number, writes: number): Promise<{ ratio: number; msPerWrite: number }> {
  const store = new IdbLeafStore({ imageId: IMAGE_ID, storageId });
  const device = await UnionDevice.open({ root: new LazyRootSource(DISK_BYTES), rootIdentity: ROOT, store, blockSizeBytes });
  let state = 2463534242;
  const data = new Uint8Array(4096);
  const startedAt = performance.now();
  for (let i = 0; i < writes; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data.fill(i & 0xff);
    await device.write(((state >>> 0) % (DISK_BYTES / 4096)) * 4096, data);
  }
  const msPerWrite = (performance.now() - startedAt) / writes;
  await device.close();
  const ratio = store.counters.bytesWritten / (writes * 4096);
  await store.destroy();
  return { ratio, msPerWrite };
}

async function destroy(storageId: string): Promise<void> {
  await new IdbLeafStore({ imageId: IMAGE_ID, storageId }).destroy();
}

(globalThis as Record<string, unknown>).LeafBench = { createLeaf, createLegacyLeaf, openLegacyKept, openKept, openDeviceKept, dropKept, amplification, destroy, keptSectorMapBytes: () => opened?.sectorMap.heldBytes ?? 0 };
