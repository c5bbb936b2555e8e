import { describe, expect, it, vi } from 'vitest';
import { LeafBindingError } from '@/lib/disk/leaf-binding';
import { LeafStoreError } from '@/lib/disk/leaf-store';
import { MemoryRootSource, type RootLayer, type RootSource, type RootSourceCounters } from '@/lib/disk/root-source';
import { UnionDevice, type UnionDeviceOptions } from '@/lib/disk/union-device';
import { exportDiskImage } from '@/lib/lab/disk-export';
import { patternBytes } from './helpers/bytes';
import { SlowRoot } from './helpers/slow-root';
import { ControlledStore, idbLeaf, memoryLeaf, type LeafHandle } from './helpers/stores';

const SIZE = 64 * 512;
const rootBytes = patternBytes(SIZE, 11);
const IDENTITY = { id: 'root-a', sizeBytes: SIZE, sha256: 'a'.repeat(64) };

function openDevice(leaf: LeafHandle, store = leaf.openStore(), root: RootSource = new MemoryRootSource(rootBytes)) {
  return UnionDevice.open({ root, rootIdentity: IDENTITY, store, blockSizeBytes: 2048 });
}

/** A device over a fresh memory leaf, through a ControlledStore, with `options` on top. */
async function openControlled(options: Partial<UnionDeviceOptions> = {}) {
  const leaf = memoryLeaf();
  const store = new ControlledStore(leaf.openStore());
  const device = await UnionDevice.open({ root: new MemoryRootSource(rootBytes), rootIdentity: IDENTITY, store, blockSizeBytes: 2048, ...options });
  return { leaf, store, device };
}

const sector = (seed: number, count = 1) => patternBytes(512 * count, seed);

/** A memory leaf holding sector(1) at sector 0, closed again. */
async function leafWithOneWrite() {
  const leaf = memoryLeaf();
  const device = await openDevice(leaf);
  await device.write(0, sector(1));
  await device.close();
  return leaf;
}
const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('write ordering and group commit', () => {
  it('resolves writes in issue order, only after their transaction commits, grouping queued writes', async () => {
    const leaf = memoryLeaf();
    const store = new ControlledStore(leaf.openStore());
    const device = await openDevice(leaf, store);
    const resolved: number[] = [];
    store.hold();
    const writes = [0, 1, 2, 3].map((i) => device.write(i * 4096, sector(i + 1)).then(() => resolved.push(i)));
    const late = [4, 5].map((i) => device.write(i * 4096, sector(i + 1)).then(() => resolved.push(i)));
    await flushMicrotasks();
    expect(resolved).toEqual([]);
    expect(store.commits).toHaveLength(1); // the first transaction holds the writes of one tick
    expect(device.counters.pendingWrites).toBe(6);
    // Read-your-writes while nothing is committed yet.
    expect(await device.read(4096, 512)).toEqual(sector(2));
    expect(device.layerOfSector(8)).toBe('pending');

    const more = device.write(7 * 4096, sector(8)).then(() => resolved.push(7));
    await flushMicrotasks();
    expect(store.commits).toHaveLength(1); // queued behind the one in flight
    store.release();
    await Promise.all([...writes, ...late, more]);
    expect(resolved).toEqual([0, 1, 2, 3, 4, 5, 7]);
    expect(store.commits).toHaveLength(2); // the queued write went in one group commit
    expect(device.layerOfSector(8)).toBe('leaf');
    expect(device.counters).toMatchObject({ writes: 7, pendingWrites: 0, leafSectors: 7, leafBlocks: 7 });
    await device.close();
  });

  it('a failed commit rejects that write and later ones, fires onError once, and leaves nothing half-written', async () => {
    for (const leaf of [memoryLeaf(), idbLeaf()]) {
      const store = new ControlledStore(leaf.openStore());
      const device = await openDevice(leaf, store);
      const onError = vi.fn();
      device.onError(onError);
      await device.write(0, sector(1)); // committed

      const quota = new LeafStoreError('quota', 'quota exceeded (simulated)');
      store.hold();
      store.failNextCommit(quota);
      const failing = device.write(512, sector(2, 4)); // spans two blocks: still one atomic commit
      await flushMicrotasks();
      const queued = device.write(8192, sector(3)); // queued behind the failing one
      store.release();
      await expect(failing).rejects.toBe(quota);
      await expect(queued).rejects.toBe(quota);
      await expect(device.write(4096, sector(4))).rejects.toBe(quota);
      await expect(device.write(4096 + 256, sector(5).subarray(0, 256))).rejects.toBe(quota); // 256-byte: merged too
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError).toHaveBeenCalledWith(quota);
      expect(device.failure).toBe(quota);
      expect(store.commits).toHaveLength(2); // a quota error is never retried, and nothing commits after it
      // Reads, peek and the download still show what the guest saw: the failed batch, the
      // writes queued behind it and those issued after the failure.
      const afterFailure = rootBytes.slice(0, 8704);
      afterFailure.set(sector(1), 0);
      afterFailure.set(sector(2, 4), 512);
      afterFailure.set(sector(4), 4096);
      afterFailure.set(sector(5).subarray(0, 256), 4096 + 256);
      afterFailure.set(sector(3), 8192);
      expect(await device.read(0, 8704)).toEqual(afterFailure);
      expect(await device.peek(0, 8704)).toEqual(afterFailure);
      const downloaded = new Uint8Array(await (await exportDiskImage(device, () => undefined)).arrayBuffer());
      expect(downloaded.subarray(0, 8704)).toEqual(afterFailure);
      await device.close();

      // After a reload: the committed write is there, the failed batch is not, not even in part.
      const reopened = await openDevice(leaf);
      expect(await reopened.read(0, 512)).toEqual(sector(1));
      expect(await reopened.read(512, 2048 + 512)).toEqual(rootBytes.slice(512, 3072));
      expect(await reopened.read(4096, 512)).toEqual(rootBytes.slice(4096, 4608));
      expect(await reopened.read(8192, 512)).toEqual(rootBytes.slice(8192, 8704));
      expect(reopened.counters.leafSectors).toBe(1);
      await reopened.close();
    }
  });

  it('a root read failure during a 256-byte read-modify-write fails the device instead of reordering writes', async () => {
    const leaf = memoryLeaf();
    const device = await openDevice(leaf, leaf.openStore(), failingRoot);
    const onError = vi.fn();
    device.onError(onError);
    await expect(device.write(256, new Uint8Array(256))).rejects.toThrow('network down');
    await expect(device.write(1024, new Uint8Array(512))).rejects.toThrow('network down');
    expect(onError).toHaveBeenCalledTimes(1);
    expect(await device.read(1024, 512)).toEqual(new Uint8Array(512)); // still readable
  });

  it('a batch in flight when the device fails settles even if its own commit then fails', async () => {
    const leaf = memoryLeaf();
    const store = new ControlledStore(leaf.openStore());
    const device = await openDevice(leaf, store, failingRoot);
    store.hold();
    store.failNextCommit(new LeafStoreError('quota', 'quota exceeded (simulated)'));
    const inFlight = device.write(0, new Uint8Array(512));
    await flushMicrotasks();
    const partial = device.write(2048 + 256, new Uint8Array(256)); // its other half cannot be read
    await expect(partial).rejects.toThrow('network down');
    store.release();
    await expect(inFlight).rejects.toThrow('network down'); // the device's first failure
  });
});

/** A root whose every read fails (the network is down). */
const failingRoot: RootSource = {
  sizeBytes: SIZE,
  read: () => Promise.reject(new Error('network down')),
  readForInspection: () => Promise.reject(new Error('network down')),
  readIfCached: () => undefined, // nothing is ever in memory
  layerOf: (): RootLayer => 'remote',
  chunkSizeBytes: 512,
  get counters(): RootSourceCounters {
    return new MemoryRootSource(new Uint8Array(0)).counters;
  },
};

describe('binding a leaf to its root', () => {
  it('refuses to open a leaf over a different root, with a message saying what and how to fix', async () => {
    const leaf = await leafWithOneWrite();

    const otherDigest = { ...IDENTITY, sha256: 'b'.repeat(64) };
    const attempt = UnionDevice.open({ root: new MemoryRootSource(rootBytes), rootIdentity: otherDigest, store: leaf.openStore() });
    await expect(attempt).rejects.toBeInstanceOf(LeafBindingError);
    const error = (await attempt.catch((e: unknown) => e)) as LeafBindingError;
    expect(error.message).toContain('aaaaaaaaaaaa');
    expect(error.message).toContain('bbbbbbbbbbbb');
    expect(error.message).toMatch(/"Reset disk" starts this workspace fresh/);
    expect(error.leafRoot).toEqual(IDENTITY);

    const bigger = new Uint8Array(SIZE * 2);
    const otherSize = { ...IDENTITY, sizeBytes: SIZE * 2 };
    await expect(
      UnionDevice.open({ root: new MemoryRootSource(bigger), rootIdentity: otherSize, store: leaf.openStore() }),
    ).rejects.toBeInstanceOf(LeafBindingError);

    // The leaf itself is untouched and still opens over its own root.
    const again = await openDevice(leaf);
    expect(await again.read(0, 512)).toEqual(sector(1));
  });

  it('refuses a root source whose size disagrees with the identity it is served under', async () => {
    await expect(
      UnionDevice.open({ root: new MemoryRootSource(new Uint8Array(1024)), rootIdentity: IDENTITY, store: memoryLeaf().openStore() }),
    ).rejects.toThrow(/different images/);
  });
});

describe('layers, counters and events', () => {
  it('reports where each sector comes from and where each I/O was served from', async () => {
    const leaf = memoryLeaf();
    const device = await openDevice(leaf);
    const events: unknown[] = [];
    device.onIo((kind, offsetBytes, lengthBytes, layers) => events.push({ kind, offsetBytes, lengthBytes, ...layers }));
    await device.write(1024, sector(1, 2)); // sectors 2-3
    expect(device.layerOfSector(2)).toBe('leaf');
    expect(device.layerOfSector(4)).toBe('root-cached'); // MemoryRootSource is all "cached"
    const bytes = await device.read(0, 3072);
    expect(bytes.subarray(1024, 2048)).toEqual(sector(1, 2));
    expect(bytes.subarray(0, 1024)).toEqual(rootBytes.subarray(0, 1024));
    expect(events).toEqual([
      { kind: 'write', offsetBytes: 1024, lengthBytes: 1024, leafSectors: 0, pendingSectors: 2, rootSectors: 0 },
      { kind: 'read', offsetBytes: 0, lengthBytes: 3072, leafSectors: 2, pendingSectors: 0, rootSectors: 4 },
    ]);
    expect(device.counters).toMatchObject({ reads: 1, writes: 1, bytesRead: 3072, bytesWritten: 1024, leafSectors: 2, leafBlocks: 1 });
  });

  it('peek reads the merged disk for the UI without counting or reporting it', async () => {
    const device = await openDevice(memoryLeaf());
    const events: unknown[] = [];
    device.onIo((kind) => events.push(kind));
    const written = device.write(0, sector(9)); // pending: peek must see it (read-your-writes)
    expect(await device.peek(0, 1024)).toEqual(new Uint8Array([...sector(9), ...rootBytes.subarray(512, 1024)]));
    await written;
    expect(await device.peek(0, 512)).toEqual(sector(9));
    expect(events).toEqual(['write']);
    expect(device.counters).toMatchObject({ reads: 0, bytesRead: 0, writes: 1 });
    await expect(device.peek(SIZE, 512)).rejects.toThrow(RangeError);
  });

  it('rejects I/O that is not 256-byte aligned or runs past the end', async () => {
    const device = await openDevice(memoryLeaf());
    await expect(device.read(100, 512)).rejects.toThrow(RangeError);
    await expect(device.read(SIZE - 256, 512)).rejects.toThrow(/outside/);
    await expect(device.write(0, new Uint8Array(100))).rejects.toThrow(RangeError);
  });
});

describe('opening a leaf', () => {
  it('writes nothing: a leaf whose storage is full still opens and reads', async () => {
    const leaf = await leafWithOneWrite();

    const full = new ControlledStore(leaf.openStore());
    const quota = new LeafStoreError('quota', 'quota exceeded (simulated)');
    full.failNextCommit(quota);
    const reopened = await openDevice(leaf, full);
    expect(full.commits).toHaveLength(0);
    expect(await reopened.read(0, 1024)).toEqual(new Uint8Array([...sector(1), ...rootBytes.subarray(512, 1024)]));
    await expect(reopened.write(512, sector(2))).rejects.toBe(quota);
    await reopened.close();
  });

  it("stores a new leaf's metadata only with its first blocks, in the same transaction", async () => {
    const { leaf, device } = await openControlled({ now: () => 1234 });
    await device.close();
    expect(leaf.backing.meta).toBeUndefined(); // opened and closed: nothing stored at all

    const store2 = new ControlledStore(leaf.openStore());
    const device2 = await UnionDevice.open({ root: new MemoryRootSource(rootBytes), rootIdentity: IDENTITY, store: store2, blockSizeBytes: 2048, now: () => 5678, commitRetryDelayMs: 0 });
    store2.failNextCommit(new LeafStoreError('aborted', 'aborted (simulated)')); // its retry must carry the metadata again
    await device2.write(0, sector(1));
    expect(leaf.backing.meta).toMatchObject({ blockSizeBytes: 2048, createdAt: 5678, root: IDENTITY });
    expect(leaf.backing.meta).not.toHaveProperty('lastUsedAt');
    await device2.write(512, sector(2)); // later commits leave it alone
    expect(leaf.backing.meta?.createdAt).toBe(5678);
    await device2.close();
  });

  it('calls a leaf of a newer format "made by a newer Leaflab", never corrupt, and does not touch it', async () => {
    const leaf = await leafWithOneWrite();
    const meta = leaf.backing.meta;
    if (!meta) throw new Error('no metadata stored');
    leaf.backing.meta = { ...meta, formatVersion: 3 } as unknown as typeof meta;

    const error = (await openDevice(leaf).catch((e: unknown) => e)) as LeafStoreError;
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(error.kind).toBe('newer-format');
    expect(error.message).toMatch(/made by a newer Leaflab \(format 3; this one reads format 2\)/);
    expect(error.message).toMatch(/Reload the page/);
    expect(error.message).not.toMatch(/corrupt|damaged|reset/i);
    expect(leaf.backing.blocks.size).toBe(1);
  });

  it('calls a leaf with blocks but no metadata damaged', async () => {
    const leaf = memoryLeaf();
    leaf.backing.setBlockBitmaps(4, [[0, Uint8Array.of(1)]]);
    leaf.backing.blocks.set(0, new Uint8Array(2048));
    await expect(openDevice(leaf)).rejects.toMatchObject({ kind: 'corrupt', message: expect.stringMatching(/1 blocks but no metadata/) });
  });
});

describe('transient aborts', () => {
  const aborted = () => new LeafStoreError('aborted', 'aborted (simulated)');

  const openRetrying = (commitRetries: number, commitRetryDelayMs: number) => openControlled({ commitRetries, commitRetryDelayMs });

  it('are retried with doubling delays, then the write commits', async () => {
    const { leaf, store, device } = await openRetrying(3, 20);
    const onError = vi.fn();
    device.onError(onError);
    store.failNextCommit(aborted());
    store.failNextCommit(aborted());
    await device.write(0, sector(1));
    expect(store.commits).toHaveLength(3);
    const [first = 0, second = 0, third = 0] = store.commitTimesMs;
    expect(second - first).toBeGreaterThanOrEqual(19);
    expect(third - second).toBeGreaterThanOrEqual(39);
    expect(device.counters.commitRetries).toBe(2);
    expect(device.failure).toBeUndefined();
    expect(onError).not.toHaveBeenCalled();
    await device.close();
    const reopened = await openDevice(leaf);
    expect(await reopened.read(0, 512)).toEqual(sector(1));
  });

  it('fail the device once the retries are spent, like any commit failure', async () => {
    const { store, device } = await openRetrying(2, 0);
    const last = aborted();
    store.failNextCommit(aborted());
    store.failNextCommit(aborted());
    store.failNextCommit(last);
    await expect(device.write(0, sector(1))).rejects.toBe(last);
    expect(store.commits).toHaveLength(3);
    expect(device.failure).toBe(last);
    expect(await device.read(0, 512)).toEqual(sector(1));
  });

  it('but never a quota error, even one that arrives after the transaction started', async () => {
    const { store, device } = await openRetrying(3, 0);
    const quota = new LeafStoreError('quota', 'quota exceeded (simulated, asynchronous)');
    store.failNextCommitLater(quota, () => new Promise((resolve) => setTimeout(resolve, 5)));
    await expect(device.write(0, sector(1))).rejects.toBe(quota);
    expect(store.commits).toHaveLength(1);
    expect(device.counters.commitRetries).toBe(0);
  });
});

describe('the pending-write memory bound', () => {
  it('makes a write that does not fit wait for commits, with later I/O behind it; reads never deadlock', async () => {
    const { store, device } = await openControlled({ maxPendingBytes: 4096 }); // two blocks
    const order: string[] = [];
    store.hold();
    const first = device.write(0, sector(1, 4)).then(() => order.push('first')); // block 0, committing (held)
    await flushMicrotasks();
    const second = device.write(2048, sector(2)).then(() => order.push('second')); // block 1: fits
    const readBeforeWaiting = device.read(0, 512);
    const third = device.write(4096, sector(3)).then(() => order.push('third')); // block 2: must wait
    let readAfterWaitingDone = false;
    const readAfterWaiting = device.peek(4096, 512).finally(() => (readAfterWaitingDone = true));
    expect(await readBeforeWaiting).toEqual(sector(1, 4).subarray(0, 512)); // issued before: not held up
    await flushMicrotasks();
    expect(device.counters.pendingBytes).toBe(4096);
    expect(device.readIfReady(4096, 512)).toBeUndefined(); // issued after the waiting write: behind it
    expect(readAfterWaitingDone).toBe(false);
    expect(order).toEqual([]);

    // The first commit makes room: the third write gets in, and the read behind it answers
    // while the commits of the second and third are still held.
    store.release();
    store.hold();
    await first;
    expect(await readAfterWaiting).toEqual(sector(3));
    expect(device.counters.pendingBytes).toBeLessThanOrEqual(4096);
    store.release();
    await Promise.all([second, third]);
    expect(order).toEqual(['first', 'second', 'third']);
    await device.close();
  });

  it('lets a write larger than the bound in alone', async () => {
    const { device } = await openControlled({ maxPendingBytes: 2048 });
    await device.write(0, sector(1));
    await device.write(0, sector(2, 16)); // 8 KiB, four blocks
    expect(await device.read(0, 8192)).toEqual(sector(2, 16));
    await device.close();
  });

  it('lets waiting writes in when the device fails, so they stay readable', async () => {
    const { store, device } = await openControlled({ maxPendingBytes: 2048 });
    const quota = new LeafStoreError('quota', 'quota exceeded (simulated)');
    store.hold();
    store.failNextCommit(quota);
    const first = device.write(0, sector(1));
    await flushMicrotasks();
    const waiting = device.write(2048, sector(2));
    store.release();
    await expect(first).rejects.toBe(quota);
    await expect(waiting).rejects.toBe(quota);
    expect(await device.read(2048, 512)).toEqual(sector(2));
  });
});

describe('inspection reads', () => {
  it('peek reads the root past the guest cache (readForInspection); guest reads go through it', async () => {
    const root = new SlowRoot(rootBytes, () => Promise.resolve());
    const device = await openDevice(memoryLeaf(), undefined, root);
    expect(await device.peek(8192, 1024)).toEqual(rootBytes.slice(8192, 9216));
    expect(root.calls).toEqual({ read: 0, readForInspection: 1 });
    expect(device.layerOfSector(16)).toBe('root'); // not cached by the inspection
    expect(await device.read(8192, 1024)).toEqual(rootBytes.slice(8192, 9216));
    expect(root.calls).toEqual({ read: 1, readForInspection: 1 });
    expect(device.layerOfSector(16)).toBe('root-cached');
  });
});
