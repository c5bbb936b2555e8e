/** The leaf-store contract, run against both implementations, plus IndexedDB failure mapping. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDBFactory, IDBObjectStore as FDBObjectStore } from 'fake-indexeddb';
import { IdbLeafStore, leafDatabaseName, measureLeafStore, toLeafStoreError } from '@/lib/disk/idb-leaf-store';
import { LeafStoreError, type LeafMeta } from '@/lib/disk/leaf-store';
import { MemoryLeafBacking, MemoryLeafStore } from '@/lib/disk/memory-leaf-store';
import { idbLeaf, memoryLeaf, type LeafHandle } from './helpers/stores';

const META: LeafMeta = {
  formatVersion: 1,
  root: { id: 'img', sizeBytes: 1 << 20, sha256: 'c'.repeat(64) },
  sectorSizeBytes: 512,
  blockSizeBytes: 1024,
  createdAt: 1,
};
const block = (fill: number) => new Uint8Array(1024).fill(fill);
const SECTORS_PER_BLOCK = 2;

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
    await store.writeBlocks(
      [
        { blockIndex: 3, data: block(7), validSectors: Uint8Array.of(0b01) },
        { blockIndex: 9, data: block(8), validSectors: Uint8Array.of(0b10) },
      ],
      META,
    );
    store.close();

    const again = leaf.openStore();
    await again.open();
    expect(await again.readMeta()).toEqual(META);
    expect(new Map(await again.loadSectorMap(SECTORS_PER_BLOCK))).toEqual(
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

  it('writes the metadata in the same transaction as the blocks: a failed one leaves neither', async () => {
    const leaf = makeLeaf();
    const store = leaf.openStore();
    await store.open();
    const badRecord = { blockIndex: -1, data: block(1), validSectors: Uint8Array.of(1) };
    await expect(store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }, badRecord], META)).rejects.toThrow(
      /invalid block index/,
    );
    expect(await store.readMeta()).toBeUndefined();
    expect((await store.loadSectorMap(SECTORS_PER_BLOCK)).size).toBe(0);
    // Later writes leave the metadata as the first one saved it.
    await store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }], META);
    await store.writeBlocks([{ blockIndex: 1, data: block(2), validSectors: Uint8Array.of(1) }]);
    expect(await store.readMeta()).toEqual(META);
    store.close();
  });

  it('reads a leaf saved by an earlier version (with lastUsedAt), and calls a newer format by its name', async () => {
    const leaf = makeLeaf();
    const store = leaf.openStore();
    await store.open();
    await store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }], { ...META, lastUsedAt: 5 } as LeafMeta);
    expect(await store.readMeta()).toEqual(META);
    await store.writeBlocks([], { ...META, formatVersion: 3 } as unknown as LeafMeta);
    const error = (await store.readMeta().catch((e: unknown) => e)) as LeafStoreError;
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(error.kind).toBe('newer-format');
    expect(error.message).toMatch(/made by a newer Leaflab \(format 3; this one reads format 2\)/);
    expect(error.message).not.toMatch(/corrupt|damaged|reset/i);
    store.close();
  });

  it('destroy deletes everything', async () => {
    const leaf = makeLeaf();
    const store = leaf.openStore();
    await store.open();
    await store.writeBlocks([{ blockIndex: 0, data: block(1), validSectors: Uint8Array.of(1) }], META);
    await store.destroy();
    const fresh = leaf.openStore();
    await fresh.open();
    expect(await fresh.readMeta()).toBeUndefined();
    expect((await fresh.loadSectorMap(SECTORS_PER_BLOCK)).size).toBe(0);
    fresh.close();
  });

  it('refuses work when closed, with a LeafStoreError', async () => {
    const store = makeLeaf().openStore();
    await store.open();
    store.close();
    await expect(store.readBlocks([0])).rejects.toBeInstanceOf(LeafStoreError);
  });
});

describe('MemoryLeafBacking models a killed tab', () => {
  const record = (blockIndex: number, fill: number) => ({ blockIndex, data: block(fill), validSectors: Uint8Array.of(1) });
  /** A backing whose transactions stay in flight until `commitAll()`. */
  function slowBacking() {
    const gates: Array<() => void> = [];
    const backing = new MemoryLeafBacking({ commitLatency: () => new Promise<void>((resolve) => gates.push(resolve)) });
    const commitAll = () => gates.splice(0).forEach((open) => open());
    return { backing, commitAll };
  }
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('commits or drops each transaction in flight whole, never one after a dropped one', async () => {
    const { backing, commitAll } = slowBacking();
    const store = new MemoryLeafStore(backing);
    await store.open();
    const writes = [
      store.writeBlocks([record(0, 1), record(1, 1)], META),
      store.writeBlocks([record(1, 2), record(2, 2)]),
      store.writeBlocks([record(3, 3)]),
    ];
    writes.forEach((write) => write.catch(() => undefined));
    await tick();
    expect(backing.transactionsInFlight).toBe(3);
    const coins = [true, false, true]; // the third is asked for nothing: it may not outlive the second
    const asked: boolean[] = [];
    backing.crash(() => {
      const coin = coins[asked.length] ?? true;
      asked.push(coin);
      return coin;
    });
    expect(asked).toEqual([true, false]);
    expect(backing.transactionsInFlight).toBe(0);

    const reopened = new MemoryLeafStore(backing);
    await reopened.open();
    expect(await reopened.readMeta()).toEqual(META);
    expect([...(await reopened.loadSectorMap(SECTORS_PER_BLOCK)).keys()]).toEqual([0, 1]);
    expect((await reopened.readBlocks([1])).get(1)).toEqual(block(1)); // the second transaction left no trace
    // The dead tab's store refuses everything, and its transactions never land later.
    await expect(store.readBlocks([0])).rejects.toMatchObject({ kind: 'unavailable' });
    commitAll();
    for (const write of writes) await expect(write).rejects.toMatchObject({ kind: 'unavailable' });
    expect([...(await reopened.loadSectorMap(SECTORS_PER_BLOCK)).keys()]).toEqual([0, 1]);
  });

  it('commits transactions in the order they started, each only when its latency is over', async () => {
    const { backing, commitAll } = slowBacking();
    const store = new MemoryLeafStore(backing);
    await store.open();
    const first = store.writeBlocks([record(0, 1)], META);
    const second = store.writeBlocks([record(0, 2)]);
    await tick();
    expect((await store.readBlocks([0])).size).toBe(0); // in flight: not visible yet
    commitAll();
    await first;
    await tick(); // the second starts its latency only now
    expect((await store.readBlocks([0])).get(0)).toEqual(block(1));
    commitAll();
    await second;
    expect((await store.readBlocks([0])).get(0)).toEqual(block(2));
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
    await store.writeBlocks(
      [0, 5].map((blockIndex) => ({ blockIndex, data: block(1), validSectors: Uint8Array.of(1) })),
      META,
    );
    const usage = await measureLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    expect(usage.blockCount).toBe(2);
    expect(usage.approximateBytes).toBe(2 * (META.blockSizeBytes + 1)); // 2 sectors per block: a 1-byte bitmap
    store.close();
  });

  it('maps a quota error to kind "quota" and keeps the whole transaction invisible', async () => {
    const { store } = await openStore();
    const realPut = FDBObjectStore.prototype.put;
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      // Block 5's data hits the quota; block 0's new data went before it.
      if (this.name === 'blocks' && args[1] === 5) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
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
    expect(new Map(await store.loadSectorMap(SECTORS_PER_BLOCK))).toEqual(new Map([[0, Uint8Array.of(1)]]));
    expect((await store.readBlocks([0, 5])).get(0)).toEqual(block(1));
    expect((await store.readBlocks([5])).size).toBe(0);
    store.close();
  });

  it('maps a transaction aborted after its requests to kind "aborted", nothing visible', async () => {
    const { store } = await openStore();
    const realPut = FDBObjectStore.prototype.put;
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = realPut.apply(this, args);
      // The last put (the sector page, after both blocks): e.g. the browser aborting on a crash/shutdown.
      if (this.name === 'sectorPages') this.transaction.abort();
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
    expect([...(await store.loadSectorMap(SECTORS_PER_BLOCK)).keys()]).toEqual([0]);
    store.close();
  });

  it('reports damaged metadata as "corrupt"', async () => {
    const factory = new IDBFactory();
    const store = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    await store.open();
    await store.writeBlocks([], { ...META, blockSizeBytes: 1000 });
    await expect(store.readMeta()).rejects.toMatchObject({ kind: 'corrupt' });
    store.close();
  });

  it('maps a quota abort that arrives after the requests succeeded to kind "quota", nothing visible', async () => {
    // What browsers do: every put succeeds, then the commit fails and the transaction aborts
    // with a QuotaExceededError, asynchronously.
    const { store } = await openStore();
    const realPut = FDBObjectStore.prototype.put;
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = realPut.apply(this, args);
      const transaction = this.transaction as IDBTransaction & { _abort(name: string): void };
      // After the request succeeded, before the transaction commits (fake-indexeddb commits
      // in a later task): the abort reaches the store asynchronously, as a commit failure would.
      request.addEventListener('success', () => queueMicrotask(() => transaction._abort('QuotaExceededError')));
      return request;
    });
    const error = (await store
      .writeBlocks([{ blockIndex: 0, data: block(9), validSectors: Uint8Array.of(3) }], META)
      .catch((e: unknown) => e)) as LeafStoreError;
    vi.restoreAllMocks();
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(error.kind).toBe('quota');
    expect(await store.readMeta()).toBeUndefined();
    expect(new Map(await store.loadSectorMap(SECTORS_PER_BLOCK))).toEqual(new Map([[0, Uint8Array.of(1)]]));
    store.close();
  });

  it('takes an AbortError that names the quota for a quota error, never for a transient abort', () => {
    const error = toLeafStoreError(new DOMException('Transaction aborted: quota exceeded', 'AbortError'), 'saving blocks to', 'w');
    expect(error.kind).toBe('quota');
    expect(toLeafStoreError(new DOMException('The transaction was aborted', 'AbortError'), 'saving blocks to', 'w').kind).toBe('aborted');
  });

  it('calls a database of a newer schema version "made by a newer Leaflab", never corrupt', async () => {
    const factory = new IDBFactory();
    const name = leafDatabaseName('img', 'w');
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(name, 7);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    newer.close();
    const store = new IdbLeafStore({ imageId: 'img', storageId: 'w', indexedDB: factory });
    const error = (await store.open().catch((e: unknown) => e)) as LeafStoreError;
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(error.kind).toBe('newer-format');
    expect(error.message).toMatch(/made by a newer Leaflab \(database version 7; this one reads database version 2\)/);
    expect(error.message).not.toMatch(/corrupt|damaged|reset/i);
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
