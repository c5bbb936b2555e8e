/**
 * `npm run image:add` run as a user runs it, against a catalog folder of the test's own
 * (LEAFLAB_CATALOG_DIR): the same disk as raw, qcow2 and VMDK gives one manifest; a root
 * filesystem tarball becomes a bootable disk; every bad input gets its own message and leaves
 * the catalog exactly as it was. (Booting what it adds, in the lab: test/e2e/image-add.spec.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@/lib/images/manifest';
import {
  amd64RootfsTarball,
  busyboxRootfsTarball,
  convertedDisk,
  escapingRootfsTarball,
  fileSha256,
  markedRawDisk,
  notARootfsTarball,
  readJson,
  truncatedCopy,
} from '../support/image-inputs';

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-image-add-'));
const inputs = path.join(work, 'inputs');
const catalog = path.join(work, 'catalog');
let raw: string;

/** Runs the command as README gives it; returns its exit status and what it printed. */
function imageAdd(args: string[], catalogDirectory = catalog): { status: number | null; output: string } {
  const result = spawnSync('npm', ['run', '--silent', 'image:add', '--', ...args], {
    env: { ...process.env, LEAFLAB_CATALOG_DIR: catalogDirectory },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function catalogListing(directory = catalog): string[] {
  return existsSync(directory) ? readdirSync(directory).sort() : [];
}

function manifestOf(id: string) {
  const manifestPath = path.join(catalog, id, 'manifest.json');
  return parseManifest(readJson(manifestPath), manifestPath);
}

beforeAll(() => {
  mkdirSync(inputs, { recursive: true });
  mkdirSync(catalog, { recursive: true });
  raw = markedRawDisk(inputs, 'image-add-integration');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run image:add', () => {
  it('adds a raw disk, its qcow2 and its VMDK with the same digest, zero chunks and partitions', () => {
    const qcow2 = convertedDisk(raw, 'qcow2');
    const vmdk = convertedDisk(raw, 'vmdk');
    // The raw disk's boot is recorded (a boot in v86); the others skip it to keep npm test short.
    for (const [file, id, bootSet] of [[raw, 'from-raw', []], [qcow2, 'from-qcow2', ['--no-boot-set']], [vmdk, 'from-vmdk', ['--no-boot-set']]] as const) {
      const { status, output } = imageAdd([file, '--id', id, '--title', `Test ${id}`, ...bootSet]);
      expect(status, output).toBe(0);
      expect(output).toContain(`added ${path.join(catalog, id)}`);
    }
    const fromRaw = manifestOf('from-raw');
    expect(fromRaw.sha256).toBe(fileSha256(raw));
    expect(fileSha256(path.join(catalog, 'from-raw', 'disk.img'))).toBe(fromRaw.sha256);
    expect(fromRaw.partitions.map((p) => [p.index, p.type, p.label])).toEqual([
      [1, 'FAT16', 'boot'],
      [2, 'ext4', 'root'],
    ]);
    expect(fromRaw.zeroChunks.length).toBeGreaterThan(0);
    for (const id of ['from-qcow2', 'from-vmdk']) {
      const manifest = manifestOf(id);
      expect(manifest.sha256).toBe(fromRaw.sha256);
      expect(manifest.zeroChunks).toEqual(fromRaw.zeroChunks);
      expect(manifest.partitions).toEqual(fromRaw.partitions);
    }
    // The boot working set, recorded on this disk: the MBR and more, as the default image's.
    expect(fromRaw.bootSet?.imageSha256).toBe(fromRaw.sha256);
    expect(fromRaw.bootSet?.runs[0]?.[0]).toBe(0);
    expect(manifestOf('from-qcow2').bootSet).toBeUndefined();
    expect(manifestOf('from-qcow2').title).toBe('Test from-qcow2');
    expect(manifestOf('from-qcow2').contents?.[0]).toContain('qcow2 disk');
  }, 300_000);

  it('wraps a root filesystem tarball in a bootable disk', () => {
    const tarball = busyboxRootfsTarball(inputs, 'rootfs-integration');
    const { status, output } = imageAdd([tarball, '--id', 'busybox-root', '--free-mib', '64', '--no-boot-set']);
    expect(status, output).toBe(0);
    const manifest = manifestOf('busybox-root');
    expect(manifest.partitions.map((p) => [p.type, p.label])).toEqual([
      ['FAT16', 'boot'],
      ['ext4', 'root'],
    ]);
    expect(manifest.contents?.[0]).toContain('BusyBox test root');
    expect(manifest.boot.acpi).toBe(true);
    // The root filesystem's files, the lab's init and its BusyBox are in the ext4 (read on the host).
    const rootOffset = manifest.partitions[1]!.startSector * 512;
    const list = spawnSync('debugfs', ['-R', 'ls -l /usr/lib/leaflab', `${path.join(catalog, 'busybox-root', 'disk.img')}?offset=${rootOffset}`], { encoding: 'utf8' });
    expect(list.stdout).toMatch(/ init\b/);
    expect(list.stdout).toMatch(/ busybox\b/);
    const marker = spawnSync('debugfs', ['-R', 'cat /leaflab-marker', `${path.join(catalog, 'busybox-root', 'disk.img')}?offset=${rootOffset}`], { encoding: 'utf8' });
    expect(marker.stdout).toContain('rootfs-integration');
  }, 300_000);

  it("never writes outside the tarball's tree through its symlinks", () => {
    // /usr and /etc in the tarball point at an absolute host path; the wrapper's additions
    // (/usr/lib/leaflab, /etc/leaflab, /etc/hostname) must land inside the image instead.
    const hostTarget = path.join(work, `escape-target-${process.pid}`);
    const escapeInputs = path.join(inputs, 'escape');
    mkdirSync(escapeInputs, { recursive: true });
    const { status, output } = imageAdd([escapingRootfsTarball(escapeInputs, hostTarget), '--id', 'escaping-root', '--free-mib', '16', '--no-boot-set']);
    expect(status, output).toBe(0);
    expect(existsSync(hostTarget), `${hostTarget} was created on the host`).toBe(false);
    const manifest = manifestOf('escaping-root');
    const device = `${path.join(catalog, 'escaping-root', 'disk.img')}?offset=${manifest.partitions[1]!.startSector * 512}`;
    const inside = spawnSync('debugfs', ['-R', `ls ${hostTarget}/lib/leaflab`, device], { encoding: 'utf8' });
    expect(inside.stdout).toMatch(/\binit\b/);
    const hostname = spawnSync('debugfs', ['-R', `cat ${hostTarget}/etc/hostname`, device], { encoding: 'utf8' });
    expect(hostname.stdout.trim()).toBe('escaping-root');
  }, 300_000);

  describe('refuses bad input with a message and leaves the catalog as it was', () => {
    const refusals: Array<[string, () => string[], RegExp, string?]> = [
      ['a size that is not a multiple of 512', () => {
        const odd = path.join(inputs, 'odd.img');
        writeFileSync(odd, Buffer.alloc(1000, 1));
        return [odd];
      }, /is 1000 bytes, not a whole number of 512-byte sectors/],
      ['a truncated qcow2', () => {
        const qcow2 = convertedDisk(raw, 'qcow2');
        return [truncatedCopy(qcow2, 4 * 1024 * 1024), '--id', 'cut-short'];
      }, /damaged qcow2 disk: qemu-img check found \d+ errors.*truncated/s],
      ['a qcow2 that names a backing file', () => {
        const overlay = path.join(inputs, 'overlay.qcow2');
        spawnSync('qemu-img', ['create', '-f', 'qcow2', '-F', 'raw', '-b', raw, overlay]);
        return [overlay];
      }, /overlay on a backing file/],
      ['a raw disk that no BIOS can boot', () => {
        const blank = path.join(inputs, 'blank.img');
        writeFileSync(blank, Buffer.alloc(1024 * 1024));
        return [blank];
      }, /no boot signature \(0x55AA\)/],
      ['a tarball that is not a root filesystem', () => [notARootfsTarball(inputs)], /is not a root filesystem: it has no \/etc/],
      ['a root filesystem of 64-bit programs', () => [amd64RootfsTarball(inputs)], /holds 64-bit programs, but the lab emulates a 32-bit x86 \(i386\) PC/],
      ['an id that is taken', () => [raw, '--id', 'from-raw'], /the id "from-raw" is taken/],
      ['an id that is not one', () => [raw, '--id', '../escape'], /does not make an image id/],
      ['a file that does not exist', () => [path.join(inputs, 'missing.img')], /does not exist/],
    ];
    it.each(refusals)('%s', (_case, makeArgs, message) => {
      const before = catalogListing();
      const { status, output } = imageAdd(makeArgs());
      expect(status, output).toBe(2);
      expect(output).toMatch(message);
      expect(catalogListing()).toEqual(before);
    }, 120_000);

    it('too little disk space (a 16 MiB filesystem for the catalog)', () => {
      // A real small filesystem: a tmpfs mounted in a private mount namespace (root only, as CI).
      const small = path.join(work, 'small-catalog');
      mkdirSync(small);
      const result = spawnSync(
        'unshare',
        ['--mount', '--propagation', 'private', 'bash', '-c', 'mount -t tmpfs -o size=16m tmpfs "$1" && npm run --silent image:add -- "$2"; status=$?; ls -A "$1"; exit $status', 'small', small, raw],
        { env: { ...process.env, LEAFLAB_CATALOG_DIR: small }, encoding: 'utf8' },
      );
      const output = `${result.stdout}${result.stderr}`;
      expect(result.status, output).toBe(2);
      expect(output).toMatch(/too little disk space: copying marked.img needs about \d+ MiB in .*small-catalog, which has 1\d MiB free/);
      expect(result.stdout.trim()).toBe(''); // `ls -A` of the small catalog: nothing left behind
    }, 60_000);
  });
});
