/**
 * qcow2 export and import against the real QEMU tools (Debian's qemu-utils): an export from a
 * synthetic root must pass `qemu-img check`, compare identical to the merged raw disk and show
 * its backing file as raw; it must round-trip through the import; and overlays made by
 * qemu-img/qemu-io (standard and extended L2, data, zero and sub-cluster writes) must import to
 * exactly what `qemu-img convert -O raw` makes of them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openQcow2Overlay, planQcow2Export, type RandomAccessFile } from '@/lib/qcow2';
import { applyOverlay, firstDifference, mergeAdjacentRuns, mergedWithRandomWrites, randomSectorRuns, seededRandom } from '../support/qcow2';

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-qcow2-'));
const ROOT_NAME = 'leaflab-test-0123456789ab.img';
const rootPath = path.join(work, ROOT_NAME);
const SIZE_BYTES = 8 * 1024 * 1024;
const root = new Uint8Array(randomBytes(SIZE_BYTES));
writeFileSync(rootPath, root);
const seed = Number(process.env.LEAFLAB_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const expectation = { sizeBytes: SIZE_BYTES, backingFileNames: [ROOT_NAME] };

afterAll(() => rmSync(work, { recursive: true, force: true }));

function fileOnDisk(filePath: string): RandomAccessFile {
  const bytes = readFileSync(filePath);
  return { sizeBytes: bytes.length, read: async (offset, length) => new Uint8Array(bytes.subarray(offset, offset + length)) };
}

function qemu(tool: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(tool, args, { cwd: work, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe(`qcow2 export checked by qemu-img (seed ${seed})`, () => {
  const random = seededRandom(seed);
  const runs = [[0, 1], [31, 2], [60, 70], ...randomSectorRuns(random, SIZE_BYTES / 512, 60).filter(([first]) => first >= 200)] as [number, number][];
  const merged = mergedWithRandomWrites(root, runs, random);
  const exportPath = path.join(work, 'export.qcow2');
  const rawPath = path.join(work, 'merged.raw');
  writeFileSync(rawPath, merged);

  it('streams a file qemu-img checks clean and compares identical to the merged disk', async () => {
    let largestRead = 0;
    const plan = planQcow2Export(
      {
        sizeBytes: SIZE_BYTES,
        sectorRuns: runs,
        read: async (offset, length) => {
          largestRead = Math.max(largestRead, length);
          return merged.slice(offset, offset + length);
        },
      },
      { backingFileName: ROOT_NAME, backingUrl: 'https://lab.example/images/leaflab-test/disk.img' },
    );
    const fd = openSync(exportPath, 'w');
    let written = 0;
    let largestPiece = 0;
    for await (const piece of plan.pieces()) {
      largestPiece = Math.max(largestPiece, piece.length);
      written += writeSync(fd, piece);
    }
    closeSync(fd);
    expect(written).toBe(plan.sizeBytes);
    // Streamed: no piece or read holds more than a 1 MiB batch, never the whole file.
    expect(largestRead).toBeLessThanOrEqual(1024 * 1024);
    expect(largestPiece).toBeLessThanOrEqual(1024 * 1024);

    const check = qemu('qemu-img', ['check', exportPath]);
    expect(check.stderr + check.stdout).toContain('No errors were found on the image.');
    expect(check.status).toBe(0);
    const compare = qemu('qemu-img', ['compare', exportPath, rawPath]);
    expect(compare.stdout).toContain('Images are identical.');
    expect(compare.status).toBe(0);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', exportPath], { cwd: work, encoding: 'utf8' })) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(ROOT_NAME);
    expect(info['backing-filename-format']).toBe('raw');
    expect(info['virtual-size']).toBe(SIZE_BYTES);
    expect((info['format-specific'] as { data: Record<string, unknown> }).data['extended-l2']).toBe(true);
    const infoText = qemu('qemu-img', ['info', exportPath]);
    expect(infoText.status).toBe(0);
    expect(infoText.stderr).toBe('');
  });

  it('a qemu-img check of a corrupted export finds the damage (the check is not vacuous)', () => {
    const bytes = readFileSync(exportPath);
    // Refcount block 0 starts at 3 clusters (header, L1, refcount table); cluster 0's refcount -> 2.
    bytes[3 * 16384 + 1] = 2;
    const broken = path.join(work, 'broken.qcow2');
    writeFileSync(broken, bytes);
    expect(qemu('qemu-img', ['check', broken]).status).not.toBe(0);
  });

  it('round-trips through openQcow2Overlay and leaf blocks', async () => {
    const overlay = await openQcow2Overlay(fileOnDisk(exportPath), expectation);
    expect(overlay.backingFileName).toBe(ROOT_NAME);
    expect(overlay.backingUrl).toBe('https://lab.example/images/leaflab-test/disk.img');
    expect(overlay.sectorRuns).toEqual(mergeAdjacentRuns(runs));
    expect(firstDifference(await applyOverlay(root, overlay), merged)).toBe(-1);
  });
});

describe('import of overlays made by qemu-img and qemu-io', () => {
  const writes = [
    'write -P 0xab 0 512',
    'write -P 0x11 4608 1536', // sub-cluster, unaligned to the cluster
    'write -P 0x22 61440 8192', // across a 64 KiB cluster boundary
    'write -z 1048576 65536', // a whole zero cluster over root data
    'write -z 2101248 4096', // a partial zero write
    'write -P 0x33 3145728 131072',
    'write -z 3149824 1024', // zeroes inside written data
    `write -P 0x7f ${SIZE_BYTES - 512} 512`, // the last sector
  ];
  for (const options of ['cluster_size=65536', 'extended_l2=on,cluster_size=65536', 'extended_l2=on,cluster_size=16384', 'cluster_size=4096']) {
    it(`with -o ${options}`, async () => {
      const name = `qemu-${options.replace(/[^a-z0-9]/g, '-')}.qcow2`;
      const overlayPath = path.join(work, name);
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', options, '-b', ROOT_NAME, '-F', 'raw', overlayPath, String(SIZE_BYTES)], { cwd: work });
      execFileSync('qemu-io', [...writes.flatMap((command) => ['-c', command]), overlayPath], { cwd: work, stdio: 'ignore' });
      const rawPath = path.join(work, `${name}.raw`);
      execFileSync('qemu-img', ['convert', '-O', 'raw', overlayPath, rawPath], { cwd: work });
      const expected = new Uint8Array(readFileSync(rawPath));
      const overlay = await openQcow2Overlay(fileOnDisk(overlayPath), expectation);
      expect(firstDifference(await applyOverlay(root, overlay), expected)).toBe(-1);
      // The zeroed cluster is defined (as zeros), not left to the root.
      expect(overlay.sectorRuns.some(([first, count]) => first <= 2048 && first + count >= 2048 + 128)).toBe(true);
    });
  }

  it('refuses an overlay on another root, naming both files and the rebase command', async () => {
    const otherPath = path.join(work, 'other-root.qcow2');
    writeFileSync(path.join(work, 'other.img'), new Uint8Array(SIZE_BYTES));
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'other.img', '-F', 'raw', otherPath], { cwd: work });
    await expect(openQcow2Overlay(fileOnDisk(otherPath), expectation)).rejects.toThrow(/"other\.img".*"leaflab-test-0123456789ab\.img".*qemu-img rebase -u -b leaflab-test-0123456789ab\.img -F raw/);
  });

  it('refuses a version 2 overlay with the amend command, and compressed clusters with the convert command', async () => {
    const v2Path = path.join(work, 'v2.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', '-b', ROOT_NAME, '-F', 'raw', v2Path], { cwd: work });
    await expect(openQcow2Overlay(fileOnDisk(v2Path), expectation)).rejects.toThrow(/qemu-img amend -f qcow2 -o compat=1\.1/);
    const compressedPath = path.join(work, 'compressed.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', ROOT_NAME, '-F', 'raw', compressedPath], { cwd: work });
    execFileSync('qemu-io', ['-c', 'write -c -P 0x44 0 65536', compressedPath], { cwd: work, stdio: 'ignore' });
    await expect(openQcow2Overlay(fileOnDisk(compressedPath), expectation)).rejects.toThrow(/compressed.*qemu-img convert/);
  });

  it('refuses an overlay with an internal snapshot, saying how to delete it', async () => {
    const snapPath = path.join(work, 'snap.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', ROOT_NAME, '-F', 'raw', snapPath], { cwd: work });
    execFileSync('qemu-img', ['snapshot', '-c', 'one', snapPath], { cwd: work });
    await expect(openQcow2Overlay(fileOnDisk(snapPath), expectation)).rejects.toThrow(/snapshot -d/);
  });
});
