/**
 * The boot set recorder boots the catalog's default image under v86 in Node (about 20-40 s, more
 * on a loaded machine) and logs the root chunks the boot reads before the shell prompt. `npm
 * test` built the image, and its build recorded the set into the manifest just before.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunksOfRuns } from '@/lib/images/boot-set';
import { ZeroChunkRuns } from '@/lib/disk/zero-chunks';
import { recordBootChunks, unionInFirstReadOrder, describeDifference } from '../../image/tools/record-boot-set';
import { defaultManifest } from '../e2e/support/default-image';

const folder = path.join(process.cwd(), 'catalog', 'leaflab-linux');

describe('record-boot-set', () => {
  it("records the default image's boot: the MBR first, no all-zero chunk, exactly the set its build stored", async () => {
    const manifest = defaultManifest();
    const { chunks, promptAfterMs } = await recordBootChunks(path.join(folder, 'disk.img'), manifest, { timeoutMs: 240_000 });
    expect(promptAfterMs).toBeGreaterThan(0);
    // Far from empty, far from the whole disk: the kernel, the initramfs and what init runs.
    expect(chunks.length).toBeGreaterThan(50);
    expect(chunks.length).toBeLessThan(Math.ceil(manifest.sizeBytes / manifest.chunkSizeBytes) / 4);
    expect(chunks[0]).toBe(0); // the BIOS reads the MBR before anything else
    expect(new Set(chunks).size).toBe(chunks.length);
    const zero = new ZeroChunkRuns(manifest.zeroChunks, Math.ceil(manifest.sizeBytes / manifest.chunkSizeBytes));
    expect(chunks.filter((chunk) => zero.has(chunk))).toEqual([]);
    // Booting again reads the same chunks the build recorded (stored in ascending order).
    expect(manifest.bootSet?.imageSha256).toBe(manifest.sha256);
    expect(chunksOfRuns(manifest.bootSet!.runs)).toEqual([...chunks].sort((a, b) => a - b));
  }, 300_000);

  it('merges boots in first-read order and says how they differ', () => {
    expect(unionInFirstReadOrder([[0, 16, 17, 400], [0, 400, 16, 18]])).toEqual([0, 16, 17, 400, 18]);
    expect(describeDifference([0, 16, 17], [0, 16, 17])).toBe('identical');
    expect(describeDifference([0, 16, 17, 400], [0, 400, 16, 18])).toBe(
      '1 chunk(s) only in the first, 1 only in the second, 2 of 3 shared ones at another place in the order',
    );
  });
});
