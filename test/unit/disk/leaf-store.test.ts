/** The leaf-store contract, run against both implementations, plus IndexedDB failure mapping. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDBFactory, IDBObjectStore as FDBObjectStore } from 'fake-indexeddb';
import { IdbLeafStore, leafDatabaseName, measureLeafStore } from '@/lib/disk/idb-leaf-store';
import { LEAF_FORMAT_VERSION, LeafStoreError, type LeafMeta } from '@/lib/disk/leaf-store';
import { idbLeaf, memoryLeaf, type LeafHandle } from './helpers/stores';

const META: LeafMeta = {
  formatVersion: LEAF_FORMAT_VERSION,
  root: { id: 'img', sizeBytes: 1 << 20, sha256: 'c'.repeat(64) },
  sectorSizeBytes: 512,
  blockSizeBytes: 1024,
  createdAt: 1,
  lastUsedAt: 2,
};
const block = (fill: number) => new Uint8Array(1024).fill(fill);

afterEach(() => vi.restoreAllMocks());

describe.each<[string, () => LeafHandle]>([
  ['MemoryLeafStore', memoryLeaf],
  ['IdbLeafStore', () => idbLeaf()],
])('%s contract', (_name, makeLeaf) => {
  it('round-trips meta, blocks and the sector map across reopen', async () => {
    const leaf = makeLeaf();
    const store = leaf.openStore();
    await store.open();
    expect(await store.readMeta()).toBeUndefined();
    await store.writeMeta(META);
    await store.writeBlocks([
      { blockIndex: 3, data: block(7), validSectors: Uint8Array.of(0b01) },
      { blockIndex: 9, data: block(8), validSectors: Uint8Array.of(0b10) },
    ]);
    store.close();

    const again = leaf.openStore();
    await again.open();
    expect(await again.readMeta()).toEqual(META);
    expect(await again.loadSectorMap()).toEqual(
      new Map([
        [3, Uint8Array.of(0b01)],
        [9, Uint8Array.of(0b10)],
      ]),
    );
    const blocks = await again.readBlocks([3, 4, 9]);
    expect([...blocks.keys()].sort()).toEqual([3, 9]);
    expect(blocks.get(9)).toEqual(block(8));
    again.close();
  });

  it('copies data in and out (no aliasing)', async () => {
    const store = makeLeaf().openStore();
    await store.open();
    const data = block(1);
    await store.writeBlocks([{ blockIndex: 0, data, validSectors: Uint8Array.of(1) }]);
    data.fill(2);
    const first = (await store.readBlocks([0])).get(0);
    first?.fill(3);
    expect((await store.readBlocks([0])).get(0)).toEqual(block(1));
    store.close();
  });

  it('readBlocks snapshots at call time', async () => {
    const store = makeLeaf().openStore();
    await store.open();
    await store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }]);
    const before = store.readBlocks([0]);
    const write = store.writeBlocks([{ blockIndex: 0, data: block(2), validSectors: Uint8Array.of(1) }]);
    expect((await before).get(0)).toEqual(block(1));
    await write;
    expect((await store.readBlocks([0])).get(0)).toEqual(block(2));
    store.close();
  });

  it('destroy deletes everything', async () => {
    const leaf = makeLeaf();
    const store = leaf.openStore();
    await store.open();
    await store.writeMeta(META);
    await store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }]);
    await store.destroy();
    const fresh = leaf.openStore();
    await fresh.open();
    expect(await fresh.readMeta()).toBeUndefined();
    expect((await fresh.loadSectorMap()).size).toBe(0);
    fresh.close();
  });

  it('refuses work when closed, with a LeafStoreError', async () => {
    const store = makeLeaf().openStore();
    await store.open();
    store.close();
    await expect(store.readBlocks([0])).rejects.toBeInstanceOf(LeafStoreError);
  });
});

describe('IdbLeafStore failures', () => {
  async function openStore(factory = new IDBFactory()) {
    const store = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    await store.open();
    await store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }]);
    return { store, factory };
  }

  it('names its database after the image and the workspace storage id', () => {
    expect(leafDatabaseName('debian', 'default')).toBe('leaflab-leaf:debian:default');
  });

  it('measures a leaf without creating one that does not exist', async () => {
    const factory = new IDBFactory();
    expect(await measureLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory })).toEqual({ blockCount: 0, approximateBytes: 0 });
    expect((await factory.databases()).map((info) => info.name)).toEqual([]);
    const store = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    await store.open();
    await store.writeMeta(META);
    await store.writeBlocks([0, 5].map((blockIndex) => ({ blockIndex, data: block(1), validSectors: Uint8Array.of(1) })));
    const usage = await measureLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    expect(usage.blockCount).toBe(2);
    expect(usage.approximateBytes).toBe(2 * (META.blockSizeBytes + 1)); // 2 sectors per block: a 1-byte bitmap
    store.close();
  });

  it('maps a quota error to kind "quota" and keeps the whole transaction invisible', async () => {
    const { store } = await openStore();
    const realPut = FDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      calls += 1;
      // The third put (block 5's data) hits the quota; blocks 0's new data and map went before it.
      if (calls === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, args);
    });
    const attempt = store.writeBlocks([
      { blockIndex: 0, data: block(9), validSectors: Uint8Array.of(3) },
      { blockIndex: 5, data: block(9), validSectors: Uint8Array.of(1) },
    ]);
    const error = (await attempt.catch((e: unknown) => e)) as LeafStoreError;
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(error.kind).toBe('quota');
    expect(error.message).toMatch(/quota/i);
    vi.restoreAllMocks();
    expect(await store.loadSectorMap()).toEqual(new Map([[0, Uint8Array.of(1)]]));
    expect((await store.readBlocks([0, 5])).get(0)).toEqual(block(1));
    expect((await store.readBlocks([5])).size).toBe(0);
    store.close();
  });

  it('maps a transaction aborted after its requests to kind "aborted", nothing visible', async () => {
    const { store } = await openStore();
    const realPut = FDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = realPut.apply(this, args);
      calls += 1;
      if (calls === 4) this.transaction.abort(); // e.g. the browser aborting on a crash/shutdown
      return request;
    });
    const error = (await store
      .writeBlocks([
        { blockIndex: 1, data: block(9), validSectors: Uint8Array.of(1) },
        { blockIndex: 2, data: block(9), validSectors: Uint8Array.of(1) },
      ])
      .catch((e: unknown) => e)) as LeafStoreError;
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(error.kind).toBe('aborted');
    vi.restoreAllMocks();
    expect([...(await store.loadSectorMap()).keys()]).toEqual([0]);
    store.close();
  });

  it('reports damaged metadata as "corrupt"', async () => {
    const factory = new IDBFactory();
    const store = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    await store.open();
    await store.writeMeta({ ...META, blockSizeBytes: 1000 });
    await expect(store.readMeta()).rejects.toMatchObject({ kind: 'corrupt' });
    store.close();
  });

  it('lets go when another tab resets the workspace, and says so', async () => {
    const factory = new IDBFactory();
    const { store } = await openStore(factory);
    const otherTab = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    await otherTab.destroy();
    await expect(store.readBlocks([0])).rejects.toMatchObject({ kind: 'blocked' });
  });

  it('explains a missing IndexedDB', async () => {
    const store = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: undefined });
    Object.defineProperty(store, 'factory', { value: undefined });
    await expect(store.open()).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
