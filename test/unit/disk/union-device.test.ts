import { describe, expect, it, vi } from 'vitest';
import { LeafBindingError } from '@/lib/disk/leaf-binding';
import { LeafStoreError } from '@/lib/disk/leaf-store';
import { MemoryRootSource, type RootLayer, type RootSource, type RootSourceCounters } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';
import { patternBytes } from './helpers/bytes';
import { ControlledStore, idbLeaf, memoryLeaf, type LeafHandle } from './helpers/stores';

const SIZE = 64 * 512;
const rootBytes = patternBytes(SIZE, 11);
const IDENTITY = { id: 'root-a', sizeBytes: SIZE, sha256: 'a'.repeat(64) };

function openDevice(leaf: LeafHandle, store = leaf.openStore(), root: RootSource = new MemoryRootSource(rootBytes)) {
  return UnionDevice.open({ root, rootIdentity: IDENTITY, store, blockSizeBytes: 2048 });
}

const sector = (seed: number, count = 1) => patternBytes(512 * count, seed);
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
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError).toHaveBeenCalledWith(quota);
      expect(device.failure).toBe(quota);
      // Documented choice: reads still show what the guest saw, uncommitted writes included.
      expect(await device.read(512, 2048)).toEqual(sector(2, 4));
      await device.close();

      // After a reload: the committed write is there, the failed batch is not, not even in part.
      const reopened = await openDevice(leaf);
      expect(await reopened.read(0, 512)).toEqual(sector(1));
      expect(await reopened.read(512, 2048 + 512)).toEqual(rootBytes.slice(512, 3072));
      expect(await reopened.read(8192, 512)).toEqual(rootBytes.slice(8192, 8704));
      expect(reopened.counters.leafSectors).toBe(1);
      await reopened.close();
    }
  });

  it('a root read failure during a 256-byte read-modify-write fails the device instead of reordering writes', async () => {
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
    const leaf = memoryLeaf();
    const device = await openDevice(leaf, leaf.openStore(), failingRoot);
    const onError = vi.fn();
    device.onError(onError);
    await expect(device.write(256, new Uint8Array(256))).rejects.toThrow('network down');
    await expect(device.write(1024, new Uint8Array(512))).rejects.toThrow('network down');
    expect(onError).toHaveBeenCalledTimes(1);
  });
});

describe('binding a leaf to its root', () => {
  it('refuses to open a leaf over a different root, with a message saying what and how to fix', async () => {
    const leaf = memoryLeaf();
    const device = await openDevice(leaf);
    await device.write(0, sector(1));
    await device.close();

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
