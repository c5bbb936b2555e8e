/**
 * The IndexedDB root chunk cache on Chromium's real IndexedDB: stored chunks survive a new
 * store object (a reload), LRU eviction across images within the budget, damaged chunks are
 * dropped through RangeSource's check, clearing empties it, and no workspace database is touched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { layerChunkKey, rootChunkImageKey } from '@/lib/disk/root-chunk-cache';
import { IdbRootChunkStore } from '@/lib/disk/root-chunk-cache-idb';
import { RootChunkCacheReader } from '@/lib/disk/root-chunk-cache-reader';
import { patternBytes } from '../unit/disk/helpers/bytes';

const CHUNK = 64 * 1024;
const chunk = (seed: number) => patternBytes(CHUNK, seed);
let databaseName = '';
const stores: IdbRootChunkStore[] = [];

function newStore(hasRoomFor?: (bytes: number) => Promise<boolean>): IdbRootChunkStore {
  databaseName ||= `leaflab-root-cache-test-${Math.random().toString(36).slice(2)}`;
  const store = new IdbRootChunkStore(databaseName, hasRoomFor);
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  indexedDB.deleteDatabase(databaseName);
  databaseName = '';
});

describe('IdbRootChunkStore in Chromium', () => {
  it('keeps chunks across store objects (a reload), with the holds hints loaded on open', async () => {
    const cache = await newStore().forSource('img/65536');
    await cache.put([
      [3, chunk(1)],
      [4, chunk(2)],
    ]);
    expect(cache.holds(3)).toBe(true);
    await stores[0]!.close();
    const reopened = await newStore().forSource('img/65536');
    expect([reopened.holds(3), reopened.holds(4), reopened.holds(5)]).toEqual([true, true, false]);
    const found = await reopened.get([3, 4, 5]);
    expect([...found.keys()]).toEqual([3, 4]);
    expect(found.get(4)).toEqual(chunk(2));
    expect(await newStore().usage()).toEqual({ storedBytes: 2 * CHUNK, chunkCount: 2, budgetBytes: 512 * 1024 * 1024, imageCount: 1, layerCount: 0 });
  });

  it('evicts the least recently used chunks across images and published layers to stay within the budget', async () => {
    const store = newStore();
    await store.setBudget(4 * CHUNK);
    const imageA = await store.forSource(rootChunkImageKey({ sha256: 'a'.repeat(64), chunkSizeBytes: CHUNK }));
    // A published layer's body: the same store, budget and LRU as the root images.
    const imageB = await store.forSource(layerChunkKey({ id: 'b'.repeat(64), chunkSizeBytes: CHUNK }));
    await imageA.put([
      [0, chunk(1)],
      [1, chunk(2)],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await imageB.put([[0, chunk(3)]]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await imageA.get([0]); // marks A's chunk 0 used (in a later task)
    await new Promise((resolve) => setTimeout(resolve, 50));
    await imageB.put([
      [1, chunk(4)],
      [2, chunk(5)],
    ]);
    expect(imageA.holds(1)).toBe(false);
    expect([imageA.holds(0), imageB.holds(0), imageB.holds(1), imageB.holds(2)]).toEqual([true, true, true, true]);
    expect(await store.usage()).toEqual({ storedBytes: 4 * CHUNK, chunkCount: 4, budgetBytes: 4 * CHUNK, imageCount: 1, layerCount: 1 });
    expect((await imageA.get([1])).size).toBe(0);
    await store.setBudget(CHUNK);
    expect(await store.usage()).toMatchObject({ storedBytes: CHUNK, chunkCount: 1 });
    expect(imageB.holds(2)).toBe(true);
  });

  it('a chunk damaged in storage is dropped on the way out, so the next read fetches it', async () => {
    const store = newStore();
    const cache = await store.forSource('img/65536');
    await cache.put([
      [7, chunk(7)],
      [8, chunk(8)],
    ]);
    // Damage chunk 8 behind the store's back, as a broken disk or browser bug would.
    const raw = await openDB(databaseName);
    const damaged = chunk(8);
    damaged[100] = damaged[100]! ^ 0xff;
    await raw.put('chunks', damaged, ['img/65536', 8]);
    raw.close();
    const reader = new RootChunkCacheReader({
      cache,
      chunkSizeBytes: CHUNK,
      mismatchedChunks: async (first, bytes) => {
        const expected = chunk(first);
        return bytes.every((byte, i) => byte === expected[i]) ? [] : [first];
      },
    });
    const fetched: Array<[number, number]> = [];
    const bytes = await reader.load(7, 2, 2 * CHUNK, async (first, count) => {
      fetched.push([first, count]);
      return chunk(first);
    });
    expect(bytes.subarray(CHUNK)).toEqual(chunk(8));
    expect(fetched).toEqual([[8, 1]]);
    expect(reader.counters).toMatchObject({ rootCacheHits: 1, rootCacheCorruptChunks: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Dropped, then the good copy stored again.
    expect((await cache.get([8])).get(8)).toEqual(chunk(8));
  });

  it('clearing empties the cache and never touches a workspace database', async () => {
    const leafName = `leaflab-leaf:test-image:${Math.random().toString(36).slice(2)}`;
    const leaf = await openDB(leafName, 1, { upgrade: (db) => db.createObjectStore('blocks') });
    await leaf.put('blocks', new Uint8Array([1, 2, 3]), 1);
    const store = newStore();
    const cache = await store.forSource('img/65536');
    await cache.put([[0, chunk(0)]]);
    await store.clear();
    expect(await store.usage()).toMatchObject({ storedBytes: 0, chunkCount: 0, imageCount: 0 });
    expect(cache.holds(0)).toBe(false);
    expect(await leaf.get('blocks', 1)).toEqual(new Uint8Array([1, 2, 3]));
    leaf.close();
    indexedDB.deleteDatabase(leafName);
  });

  it('stops growing, with a notice, while the site lacks room for workspaces, and grows again after', async () => {
    let room = false;
    const cache = await newStore(async () => room).forSource('img/65536');
    await cache.put([[0, chunk(0)]]);
    expect(cache.holds(0)).toBe(false);
    expect(cache.notice).toMatch(/leave room for your workspaces/);
    room = true;
    await cache.put([[0, chunk(0)]]);
    expect(cache.holds(0)).toBe(true);
    expect(cache.notice).toBeUndefined();
  });

  it('refuses a budget that is not a whole number of bytes', async () => {
    await expect(newStore().setBudget(-1)).rejects.toThrow(/whole number of bytes/);
  });
});
