/**
 * The boot set recorder boots the catalog's default image under v86 in Node (about 20-40 s, more
 * on a loaded machine) and logs the root chunks the boot reads before the shell prompt, then
 * those its warm commands read. `npm test` built the image, and its build recorded the set into
 * the manifest just before. A disk that boots nothing stops the recorder early.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunksOfRuns } from '@/lib/images/boot-set';
import { parseManifest } from '@/lib/images/manifest';
import { ZeroChunkRuns } from '@/lib/disk/zero-chunks';
import { NoBootToRecordError, recordBootChunks, recordBootSetInto, unionInFirstReadOrder, describeDifference } from '../../image/tools/record-boot-set';
import { defaultManifest } from '../e2e/support/default-image';

const folder = path.join(process.cwd(), 'catalog', 'leaflab-linux');
/**
 * Reads the image's 10 MiB sample file, which the boot never reads. (`find / -xdev` read nothing
 * new once the image shipped the agent: its directories then lay in chunks the boot reads.)
 */
const WARM_COMMAND = 'wc -c < /usr/share/leaflab/sample.txt';

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-record-boot-set-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A catalog folder of the test's own: `disk` and a manifest saying its size (the recorder does not check its digest). */
function folderWithDisk(name: string, disk: Uint8Array): string {
  const own = path.join(work, name);
  mkdirSync(own);
  writeFileSync(path.join(own, 'disk.img'), disk);
  // No boot set (JSON leaves out an undefined field): it was recorded on another disk.
  const manifest = { ...defaultManifest(), id: name, sizeBytes: disk.length, zeroChunks: [], bootSet: undefined };
  writeFileSync(path.join(own, 'manifest.json'), JSON.stringify(manifest));
  return own;
}

describe('record-boot-set', () => {
  it("records the default image's boot: the MBR first, no all-zero chunk, exactly the set its build stored; then what a warm command reads", async () => {
    const manifest = defaultManifest();
    const { chunks, promptAfterMs, warmChunks } = await recordBootChunks(path.join(folder, 'disk.img'), manifest, {
      timeoutMs: 240_000,
      warmCommands: [WARM_COMMAND],
    });
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
    // The warm command read a file the boot never did: new chunks only, none all-zero.
    expect(warmChunks.length).toBeGreaterThan(0);
    expect(warmChunks.filter((chunk) => chunks.includes(chunk) || zero.has(chunk))).toEqual([]);
  }, 300_000);

  it('stores the warm set in the manifest, ascending and outside the boot set, beside the same boot set', async () => {
    const copy = path.join(work, 'leaflab-linux');
    mkdirSync(copy);
    for (const file of ['disk.img', 'manifest.json', 'chunks.sha256']) copyFileSync(path.join(folder, file), path.join(copy, file));
    const sets = await recordBootSetInto(copy, { boots: 1, timeoutMs: 240_000, warmCommands: [WARM_COMMAND] });
    const stored = parseManifest(JSON.parse(readFileSync(path.join(copy, 'manifest.json'), 'utf8')), 'copy');
    expect(stored.bootSet).toEqual(defaultManifest().bootSet);
    expect(stored.warmSet).toEqual(sets.warmSet);
    expect(stored.warmCommands).toEqual([WARM_COMMAND]);
    expect(stored.warmSet?.imageSha256).toBe(stored.sha256);
    const warm = chunksOfRuns(stored.warmSet!.runs);
    expect(warm.length).toBeGreaterThan(0);
    expect(warm).toEqual([...warm].sort((a, b) => a - b));
    const boot = new Set(chunksOfRuns(stored.bootSet!.runs));
    expect(warm.filter((chunk) => boot.has(chunk))).toEqual([]);
    // The default image declares no warm commands, so its own manifest has no warm set.
    expect(defaultManifest().warmSet).toBeUndefined();
  }, 300_000);

  it('stops at once on a disk without a boot signature, and leaves its manifest without a boot set', async () => {
    const own = folderWithDisk('no-signature', new Uint8Array(1024 * 1024));
    const before = readFileSync(path.join(own, 'manifest.json'), 'utf8');
    const startedAtMs = Date.now();
    const failure = recordBootSetInto(own, { boots: 1, timeoutMs: 240_000 });
    await expect(failure).rejects.toThrow(NoBootToRecordError);
    await expect(failure).rejects.toThrow(/sector 0 has no boot signature \(0x55AA\)/);
    expect(Date.now() - startedAtMs).toBeLessThan(5_000);
    expect(readFileSync(path.join(own, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('gives up when a bootable disk reads nothing more and prints nothing, without a prompt', async () => {
    // A boot sector that halts: the BIOS reads it, then nothing happens.
    const disk = new Uint8Array(1024 * 1024);
    disk.set([0xfa, 0xf4, 0xeb, 0xfd]); // cli; hlt; jmp back to hlt
    disk[510] = 0x55;
    disk[511] = 0xaa;
    const own = folderWithDisk('halts', disk);
    const startedAtMs = Date.now();
    const failure = recordBootChunks(path.join(own, 'disk.img'), defaultManifest(), { timeoutMs: 240_000, idleLimitMs: 3_000 });
    await expect(failure).rejects.toThrow(NoBootToRecordError);
    await expect(failure).rejects.toThrow(/read no new disk chunk and printed nothing on its serial console for 3 s/);
    expect(Date.now() - startedAtMs).toBeLessThan(60_000);
  }, 90_000);

  it('merges boots in first-read order and says how they differ', () => {
    expect(unionInFirstReadOrder([[0, 16, 17, 400], [0, 400, 16, 18]])).toEqual([0, 16, 17, 400, 18]);
    expect(describeDifference([0, 16, 17], [0, 16, 17])).toBe('identical');
    expect(describeDifference([0, 16, 17, 400], [0, 400, 16, 18])).toBe(
      '1 chunk(s) only in the first, 1 only in the second, 2 of 3 shared ones at another place in the order',
    );
  });
});
