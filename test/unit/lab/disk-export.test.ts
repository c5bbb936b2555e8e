import { describe, expect, it } from 'vitest';
import { MemoryLeafBacking, MemoryLeafStore, MemoryRootSource, UnionDevice } from '@/lib/disk';
import { exportDiskImage } from '@/lib/lab/disk-export';

const SIZE_BYTES = 9 * 1024 * 1024; // not a multiple of the 4 MiB export piece

describe('exportDiskImage', () => {
  it('gives the merged disk, leaf over root, with progress up to the whole size', async () => {
    const root = new Uint8Array(SIZE_BYTES).map((_, i) => i % 251);
    const device = await UnionDevice.open({
      root: new MemoryRootSource(root),
      rootIdentity: { id: 'img', sizeBytes: SIZE_BYTES, sha256: 'a'.repeat(64) },
      store: new MemoryLeafStore(new MemoryLeafBacking()),
    });
    const written = new Uint8Array(1024).fill(7);
    await device.write(5 * 1024 * 1024 - 512, written); // inside the second piece
    await device.write(4 * 1024 * 1024 - 512, written); // across the boundary of the first two pieces
    const progress: number[] = [];
    const blob = await exportDiskImage(device, (copied) => progress.push(copied));
    const bytes = new Uint8Array(await blob.arrayBuffer());

    const expected = root.slice();
    expected.set(written, 5 * 1024 * 1024 - 512);
    expected.set(written, 4 * 1024 * 1024 - 512);
    expect(bytes.length).toBe(SIZE_BYTES);
    expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
    expect(progress).toEqual([4 * 1024 * 1024, 8 * 1024 * 1024, SIZE_BYTES]);
    expect(device.counters.reads).toBe(0); // not counted as guest I/O
    await device.close();
  });
});
