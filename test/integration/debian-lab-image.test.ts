/**
 * The debian-lab image as built (issue #9), read on the host with debugfs (nothing in it runs
 * here): its packages are configured, not just unpacked (dpkg's database says installed,
 * alternatives and the linker cache exist, users and groups exist, the locale is C.UTF-8), the
 * lab's user and init are in place, the build left nothing of itself behind, the student has at
 * least 1 GiB free, and the manifest's zero chunks are exact. Booting it: test/e2e/debian-lab.spec.ts.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type ImageManifest } from '@/lib/images/manifest';

const folder = path.join(process.cwd(), 'catalog', 'debian-lab');
const diskPath = path.join(folder, 'disk.img');
let manifest: ImageManifest;
let rootDevice: string;

function debugfs(request: string): string {
  return execFileSync('debugfs', ['-R', request, rootDevice], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function readAt(offsetBytes: number, lengthBytes: number): Buffer {
  const fd = openSync(diskPath, 'r');
  try {
    const buffer = Buffer.alloc(lengthBytes);
    readSync(fd, buffer, 0, lengthBytes, offsetBytes);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

beforeAll(() => {
  manifest = parseManifest(JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')), 'debian-lab');
  const root = manifest.partitions.find((p) => p.type === 'ext4');
  if (!root) throw new Error('debian-lab has no ext4 partition in its manifest');
  rootDevice = `${diskPath}?offset=${root.startSector * 512}`;
});

describe('the debian-lab image', () => {
  it('is a 2 GiB disk with a boot and a root partition, and says what is inside', () => {
    expect(manifest.sizeBytes).toBe(2 * 1024 ** 3);
    expect(manifest.partitions.map((p) => [p.index, p.type, p.label])).toEqual([
      [1, 'FAT16', 'boot'],
      [2, 'ext4', 'root'],
    ]);
    const inside = manifest.contents?.join('\n') ?? '';
    for (const tool of ['bash', 'Python 3', 'gcc', 'git', 'vim', 'nano', 'man']) expect(inside).toContain(tool);
  });

  it('keeps at least 1 GiB free for the student', () => {
    const root = manifest.partitions[1]!;
    const superblock = readAt(root.startSector * 512 + 1024, 1024);
    const blockSizeBytes = 1024 << superblock.readUInt32LE(0x18);
    const freeBlocks = superblock.readUInt32LE(0x0c) + superblock.readUInt32LE(0x158) * 2 ** 32;
    expect(freeBlocks * blockSizeBytes).toBeGreaterThanOrEqual(1024 ** 3);
  });

  it('has its packages configured: dpkg says installed, alternatives, linker cache, users, locale', () => {
    const status = debugfs('cat /var/lib/dpkg/status');
    const packages = status.match(/^Package: /gm)?.length ?? 0;
    expect(packages).toBeGreaterThan(150);
    expect(status.match(/^Status: install ok installed$/gm)?.length).toBe(packages);
    for (const name of ['bash', 'python3', 'gcc', 'git', 'make', 'man-db', 'sudo', 'vim-tiny', 'nano', 'curl', 'iproute2']) {
      expect(status, name).toMatch(new RegExp(`^Package: ${name}\\n(?:[^\\n]+\\n)*?Status: install ok installed`, 'm'));
    }
    expect(debugfs('stat /etc/alternatives/cc')).toMatch(/Fast link dest: "\/usr\/bin\/gcc"/);
    expect(debugfs('stat /etc/alternatives/editor')).toMatch(/Fast link dest: "\/(usr\/)?bin\/(nano|vim\.tiny)"/);
    expect(debugfs('stat /etc/ld.so.cache')).toMatch(/Size: [1-9]\d+/);
    const passwd = debugfs('cat /etc/passwd');
    expect(passwd).toMatch(/^student:x:1000:1000:[^:]*:\/home\/student:\/bin\/bash$/m);
    expect(passwd).toMatch(/^_apt:/m); // a user a maintainer script made
    expect(debugfs('cat /etc/group')).toMatch(/^sudo:x:27:student$/m);
    expect(debugfs('cat /etc/default/locale')).toContain('LANG=C.UTF-8');
    expect(debugfs('ls /usr/lib/locale')).toContain('C.utf8');
  });

  it("boots with Leaflab's init and leaves nothing of the build behind", () => {
    expect(debugfs('stat /usr/sbin/init')).toMatch(/Fast link dest: "leaflab-init"/);
    expect(debugfs('cat /etc/leaflab/init.conf')).toContain('LAB_USER=student');
    expect(debugfs('stat /etc/sudoers.d/leaflab-student')).toMatch(/Mode:\s+0440/);
    expect(debugfs('stat /home/student/README')).toMatch(/User:\s+1000\s+Group:\s+1000/);
    expect(debugfs('ls /')).not.toContain('leaflab-build');
    expect(debugfs('ls -l /var/cache/apt/archives')).not.toMatch(/\.deb/);
    expect(debugfs('ls /usr/sbin')).not.toContain('policy-rc.d');
  });

  it('lists exactly the all-zero chunks in the manifest', () => {
    const zero = new Set<number>();
    for (const [first, count] of manifest.zeroChunks) for (let i = first; i < first + count; i++) zero.add(i);
    const fd = openSync(diskPath, 'r');
    try {
      const chunk = Buffer.alloc(manifest.chunkSizeBytes);
      const zeros = Buffer.alloc(manifest.chunkSizeBytes);
      const chunkCount = manifest.sizeBytes / manifest.chunkSizeBytes;
      const wrong: number[] = [];
      for (let index = 0; index < chunkCount; index++) {
        readSync(fd, chunk, 0, chunk.length, index * chunk.length);
        if (chunk.equals(zeros) !== zero.has(index)) wrong.push(index);
      }
      expect(wrong).toEqual([]);
      // Most of the disk is free space: never downloaded.
      expect(zero.size).toBeGreaterThan(chunkCount / 2);
    } finally {
      closeSync(fd);
    }
  }, 120_000);
});
