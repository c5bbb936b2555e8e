import { describe, expect, it, vi } from 'vitest';
import { MemoryRootSource, type RootLayer, type RootSource } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';
import { V86DiskAdapter } from '@/lib/disk/v86-disk-adapter';
import { patternBytes } from './helpers/bytes';
import { SlowRoot } from './helpers/slow-root';
import { ControlledStore, memoryLeaf } from './helpers/stores';

const SIZE = 32 * 512;
const rootBytes = patternBytes(SIZE, 5);
const IDENTITY = { id: 'root', sizeBytes: SIZE, sha256: 'd'.repeat(64) };

async function setup(root: RootSource = new MemoryRootSource(rootBytes)) {
  const leaf = memoryLeaf();
  const store = new ControlledStore(leaf.openStore());
  const device = await UnionDevice.open({ root, rootIdentity: IDENTITY, store, blockSizeBytes: 2048 });
  const adapter = new V86DiskAdapter(device);
  const errors: Error[] = [];
  adapter.onError((error) => errors.push(error));
  return { adapter, device, store, errors };
}

const getAsync = (adapter: V86DiskAdapter, start: number, length: number) =>
  new Promise<Uint8Array>((resolve) => adapter.get(start, length, resolve));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('V86DiskAdapter', () => {
  it('loads like a v86 buffer: byteLength, then onload({})', async () => {
    const { adapter } = await setup();
    expect(adapter.byteLength).toBe(SIZE);
    const onload = vi.fn();
    adapter.onload = onload;
    adapter.load();
    expect(onload).toHaveBeenCalledWith({});
  });

  it('get returns the merged bytes; set calls back only once durable, after copying', async () => {
    const { adapter, store } = await setup();
    expect(await getAsync(adapter, 1024, 768)).toEqual(rootBytes.slice(1024, 1792));
    store.hold();
    const data = patternBytes(1024, 9);
    const expected = data.slice();
    const done = vi.fn();
    adapter.set(2048, data, done);
    data.fill(0); // v86 reuses the buffer
    await tick();
    expect(done).not.toHaveBeenCalled(); // DMA not complete for the guest until committed
    expect(await getAsync(adapter, 2048, 1024)).toEqual(expected); // but readable at once
    store.release();
    await vi.waitFor(() => expect(done).toHaveBeenCalledTimes(1));
  });

  it('flush (FLUSH CACHE in the patched v86) calls back only after every earlier write is durable, also when set was not waited for', async () => {
    const { adapter, store } = await setup();
    store.hold();
    adapter.set(0, patternBytes(512, 1), () => undefined); // a PIO write: v86 does not wait for it
    adapter.set(4096, patternBytes(1024, 2), () => undefined);
    const flushed = vi.fn();
    adapter.flush(flushed);
    await tick();
    expect(flushed).not.toHaveBeenCalled();
    expect(store.commits.length).toBeGreaterThan(0);
    store.release();
    await vi.waitFor(() => expect(flushed).toHaveBeenCalledTimes(1));
    const committedBlocks = store.commits.flat().length;
    expect(committedBlocks).toBeGreaterThanOrEqual(2); // both blocks went to the store before the flush ended
  });

  it('flush never calls back after a failed commit: the guest must not think its data is safe', async () => {
    const { adapter, store, errors } = await setup();
    store.failNextCommit(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }));
    adapter.set(0, patternBytes(512, 3), () => undefined);
    const flushed = vi.fn();
    adapter.flush(flushed);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    await tick();
    expect(flushed).not.toHaveBeenCalled();
  });

  it('get_and_cache keeps the boot sectors for synchronous get_from_cache, kept coherent with set', async () => {
    const { adapter } = await setup();
    expect(adapter.get_from_cache(0, 512)).toBeUndefined();
    const first = await new Promise<Uint8Array>((resolve) => adapter.get_and_cache(0, 512, resolve));
    expect(first).toEqual(rootBytes.slice(0, 512));
    expect(adapter.get_from_cache(0, 512)).toEqual(rootBytes.slice(0, 512));
    expect(adapter.get_from_cache(256, 256)).toEqual(rootBytes.slice(256, 512));
    expect(adapter.get_from_cache(512, 512)).toBeUndefined();
    const mbr = patternBytes(512, 77);
    adapter.set(0, mbr, () => undefined);
    expect(adapter.get_from_cache(0, 512)).toEqual(mbr);
  });

  it('reports a read error to onError and never calls back with wrong data', async () => {
    const brokenRoot: RootSource = {
      sizeBytes: SIZE,
      read: () => Promise.reject(new Error('Could not reach the image server')),
      readForInspection: () => Promise.reject(new Error('Could not reach the image server')),
      readIfCached: () => undefined, // nothing is ever in memory
      layerOf: (): RootLayer => 'remote',
      chunkSizeBytes: 512,
      counters: new MemoryRootSource(rootBytes).counters,
    };
    const { adapter, errors } = await setup(brokenRoot);
    const fn = vi.fn();
    adapter.get(0, 512, fn);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]?.message).toContain('Could not reach');
    expect(fn).not.toHaveBeenCalled();
  });

  it('treats an abort by v86 as cancelled, not as an error', async () => {
    const hangingRoot: RootSource = {
      sizeBytes: SIZE,
      read: (_o, _l, signal) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))),
      readForInspection: () => Promise.reject(new Error('not used')),
      readIfCached: () => undefined, // nothing is ever in memory
      layerOf: (): RootLayer => 'remote',
      chunkSizeBytes: 512,
      counters: new MemoryRootSource(rootBytes).counters,
    };
    const { adapter, errors } = await setup(hangingRoot);
    const controller = new AbortController();
    const fn = vi.fn();
    adapter.get(0, 512, fn, { signal: controller.signal });
    controller.abort();
    await vi.waitFor(() => expect(fn).toHaveBeenCalled()); // v86 discards it and frees the I/O id
    expect(errors).toEqual([]);
  });

  it('forwards a commit failure once and never completes the write', async () => {
    const { adapter, store, errors } = await setup();
    const { LeafStoreError } = await import('@/lib/disk/leaf-store');
    store.failNextCommit(new LeafStoreError('quota', 'quota exceeded'));
    const done = vi.fn();
    adapter.set(0, new Uint8Array(512), done);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    await tick();
    expect(errors).toHaveLength(1);
    expect(done).not.toHaveBeenCalled();
  });

  it('get_state identifies leaf and root; set_state refuses any other identity', async () => {
    const { adapter } = await setup();
    const state = adapter.get_state();
    expect(state.every((v) => typeof v === 'string' || typeof v === 'number')).toBe(true);
    expect(() => adapter.set_state(structuredClone(state))).not.toThrow();
    const other = [...state];
    other[5] = 'e'.repeat(64);
    expect(() => adapter.set_state(other)).toThrow(/would mix two disks/);
    expect(() => adapter.set_state([SIZE, new Uint8Array(4)])).toThrow(/not made with a Leaflab workspace disk/);
  });

  it('get_buffer yields the whole merged disk', async () => {
    const { adapter, device } = await setup();
    await device.write(4096, patternBytes(512, 3));
    const expected = rootBytes.slice();
    expected.set(patternBytes(512, 3), 4096);
    const buffer = await new Promise<ArrayBuffer | undefined>((resolve) => adapter.get_buffer(resolve));
    expect(new Uint8Array(buffer ?? new ArrayBuffer(0))).toEqual(expected);
  });

  it('meters read wait: a fetched read counts its wait and as async, a read from memory as neither, the boot-sector read not at all', async () => {
    const FETCH_MS = 30;
    const { adapter } = await setup(new SlowRoot(rootBytes, () => new Promise((resolve) => setTimeout(resolve, FETCH_MS))));
    expect(await getAsync(adapter, 8192, 1024)).toEqual(rootBytes.slice(8192, 9216));
    const afterFetch = adapter.readWaitCounters;
    expect(afterFetch.asyncReads).toBe(1);
    expect(afterFetch.readWaitMs).toBeGreaterThanOrEqual(FETCH_MS - 2); // timers may fire a hair early
    expect(afterFetch.engineMs).toBeGreaterThan(0);
    expect(afterFetch.engineMs).toBeLessThan(afterFetch.readWaitMs);

    let answeredWithinGet = false;
    adapter.get(8192, 1024, () => (answeredWithinGet = true)); // now in memory: answered in this turn
    expect(answeredWithinGet).toBe(true);
    const afterHit = adapter.readWaitCounters;
    expect(afterHit.asyncReads).toBe(1);
    expect(afterHit.readWaitMs - afterFetch.readWaitMs).toBeLessThan(FETCH_MS / 2);
    await new Promise<Uint8Array>((resolve) => adapter.get_and_cache(0, 512, resolve)); // v86 reads it before the machine runs
    expect(adapter.readWaitCounters).toEqual(afterHit);

    const written = vi.fn();
    adapter.set(2048, patternBytes(512, 4), written);
    await vi.waitFor(() => expect(written).toHaveBeenCalled());
    expect(adapter.readWaitCounters.asyncReads).toBe(1); // writes are no reads
    expect(adapter.readWaitCounters.engineMs).toBeGreaterThan(afterHit.engineMs);
  });
});
