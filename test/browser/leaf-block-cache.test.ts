/**
 * The LRU of committed leaf blocks in IdbLeafStore, on Chromium's real IndexedDB: hot blocks
 * are answered from memory, and the cache never answers with bytes older than the last commit
 * (writes, a read racing a write, a reset, a checkpoint), within its byte budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IdbLeafStore } from '@/lib/disk/idb-leaf-store';
import type { LeafMeta } from '@/lib/disk/leaf-store';
import { MemoryRootSource } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';

const BLOCK = 4096;
const META: LeafMeta = { formatVersion: 1, root: { id: 'cache-root', sizeBytes: 1 << 20, sha256: 'b'.repeat(64) }, sectorSizeBytes: 512, blockSizeBytes: BLOCK, createdAt: 1 };
const block = (fill: number) => new Uint8Array(BLOCK).fill(fill);
const record = (blockIndex: number, fill: number) => ({ blockIndex, data: block(fill), validSectors: Uint8Array.of(0xff) });

let counter = 0;
const made: string[] = [];
function newStore(options: { storageId?: string; blockCacheBytes?: number } = {}): IdbLeafStore {
  const storageId = options.storageId ?? `cache-${Date.now()}-${(counter += 1)}`;
  made.push(storageId);
  return new IdbLeafStore({ imageId: 'cache-test', storageId, blockCacheBytes: options.blockCacheBytes });
}
afterEach(async () => {
  for (const storageId of made.splice(0)) await new IdbLeafStore({ imageId: 'cache-test', storageId }).destroy();
});

describe('IdbLeafStore block cache', () => {
  it('answers re-reads of committed blocks from memory, with copies', async () => {
    const store = newStore();
    await store.open();
    await store.writeBlocks([record(0, 1), record(1, 2)], META);
    const first = await store.readBlocks([0, 1]);
    expect(first.get(1)).toEqual(block(2));
    expect(store.counters).toMatchObject({ blockCacheHits: 2, blockCacheMisses: 0 });
    first.get(0)!.fill(9); // a caller modifying its result must not change the cache
    expect((await store.readBlocks([0])).get(0)).toEqual(block(1));

    store.close(); // a reopen starts cold: a miss, then a hit
    await store.open();
    expect((await store.readBlocks([1])).get(1)).toEqual(block(2));
    expect((await store.readBlocks([1])).get(1)).toEqual(block(2));
    expect(store.counters).toMatchObject({ blockCacheHits: 4, blockCacheMisses: 1 });
    store.close();
  });

  it('never caches a read that a commit overtook', async () => {
    const store = newStore();
    await store.open();
    await store.writeBlocks([record(0, 1)], META);
    store.close();
    await store.open(); // cold
    const read = store.readBlocks([0]); // a miss: its transaction is ordered before the write below
    const write = store.writeBlocks([record(0, 2)]);
    expect((await read).get(0)).toEqual(block(1)); // the snapshot at call time
    await write;
    expect((await store.readBlocks([0])).get(0)).toEqual(block(2));
    store.close();
  });

  it('stays within its byte budget, evicting the least recently used block', async () => {
    const store = newStore({ blockCacheBytes: 2 * BLOCK });
    await store.open();
    await store.writeBlocks([record(0, 1)], META);
    await store.writeBlocks([record(1, 2)]);
    await store.readBlocks([0]); // 0 is now more recent than 1
    await store.writeBlocks([record(2, 3)]); // evicts 1
    const before = { ...store.counters };
    const blocks = await store.readBlocks([0, 1, 2]);
    expect([0, 1, 2].map((blockIndex) => blocks.get(blockIndex))).toEqual([block(1), block(2), block(3)]);
    expect(store.counters.blockCacheHits - before.blockCacheHits).toBe(2);
    expect(store.counters.blockCacheMisses - before.blockCacheMisses).toBe(1);
    store.close();
  });

  it('forgets everything on reset: a new leaf under the same name reads empty', async () => {
    const store = newStore();
    await store.open();
    await store.writeBlocks([record(0, 1)], META);
    await store.destroy();
    await store.open();
    expect((await store.readBlocks([0])).size).toBe(0);
    store.close();
  });

  it('keeps a checkpoint and the leaf above it apart', async () => {
    const root = new Uint8Array(1 << 20);
    const bottom = newStore();
    const device = await UnionDevice.open({ root: new MemoryRootSource(root), rootIdentity: META.root, store: bottom, leafId: 'bottom' });
    await device.write(0, block(1));
    expect(await device.read(0, BLOCK)).toEqual(block(1));
    const top = newStore();
    const frozen = await device.checkpoint(top, 'top', async () => undefined);
    await device.write(0, block(2));
    expect(await device.read(0, BLOCK)).toEqual(block(2));
    expect((await frozen.readBlocks([0])).get(0)).toEqual(block(1));
    expect(bottom.counters.blockCacheHits).toBeGreaterThan(0); // the frozen leaf was read from its cache
    await device.close();
  });
});
