/**
 * Disks and tarballs that the image:add tests make, as a user would bring them: a raw disk
 * (the default image with a marker file written into its root filesystem, so a test can tell
 * which image booted), the same disk as qcow2 and VMDK, a BusyBox root filesystem tarball, and
 * the bad inputs the command must refuse. Made with host tools only (debugfs, qemu-img, tar):
 * nothing from an i386 package is executed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const projectRoot = process.cwd();
export const DEFAULT_DISK = path.join(projectRoot, 'catalog', 'leaflab-linux', 'disk.img');
/** The default image's root partition starts at sector 51200 (image/leaflab-linux/recipe.env). */
const DEFAULT_ROOT_OFFSET_BYTES = 51200 * 512;

/** The default image with /leaflab-marker holding `marker`. */
export function markedRawDisk(directory: string, marker: string): string {
  const diskPath = path.join(directory, 'marked.img');
  execFileSync('cp', ['--sparse=always', DEFAULT_DISK, diskPath]);
  const markerPath = path.join(directory, 'marker.txt');
  writeFileSync(markerPath, `${marker}\n`);
  execFileSync('debugfs', ['-w', '-R', `write ${markerPath} /leaflab-marker`, `${diskPath}?offset=${DEFAULT_ROOT_OFFSET_BYTES}`], { stdio: 'pipe' });
  return diskPath;
}

export function convertedDisk(rawPath: string, format: 'qcow2' | 'vmdk'): string {
  const out = rawPath.replace(/\.img$/, `.${format}`);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', format, rawPath, out]);
  return out;
}

function cachedBusyboxDeb(): string {
  const debs = path.join(projectRoot, '.cache', 'image', 'debs');
  const deb = readdirSync(debs).find((name) => name.startsWith('busybox-static_') && name.endsWith('_i386.deb'));
  if (!deb) throw new Error(`no busybox-static .deb in ${debs}: run npm run image first`);
  return path.join(debs, deb);
}

/** A BusyBox root filesystem, the shape of an Alpine-like `docker export`, as a .tar.gz. */
export function busyboxRootfsTarball(directory: string, marker: string): string {
  const tree = path.join(directory, 'busybox-rootfs');
  for (const dir of ['bin', 'etc', 'root', 'tmp']) mkdirSync(path.join(tree, dir), { recursive: true });
  execFileSync('bash', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./bin/busybox`, 'unpack', cachedBusyboxDeb(), tree]);
  for (const applet of ['sh', 'ls', 'cat', 'echo', 'uname', 'sha256sum', 'dd', 'sync', 'rm', 'test']) {
    symlinkSync('busybox', path.join(tree, 'bin', applet));
  }
  writeFileSync(path.join(tree, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(path.join(tree, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(path.join(tree, 'etc', 'os-release'), 'PRETTY_NAME="BusyBox test root"\nID=busybox-test\n');
  // What `docker export` leaves: empty placeholders for the files Docker mounts, and .dockerenv.
  writeFileSync(path.join(tree, 'etc', 'hostname'), '');
  writeFileSync(path.join(tree, '.dockerenv'), '');
  writeFileSync(path.join(tree, 'leaflab-marker'), `${marker}\n`);
  const tarball = path.join(directory, 'busybox-rootfs.tar.gz');
  execFileSync('tar', ['-C', tree, '--owner=0', '--group=0', '-czf', tarball, '.']);
  return tarball;
}

/**
 * A BusyBox root filesystem whose /usr and /etc are absolute symlinks pointing at `hostTarget`:
 * a wrapper that wrote through them on the host would write outside its tree.
 */
export function escapingRootfsTarball(directory: string, hostTarget: string): string {
  const tarball = busyboxRootfsTarball(directory, 'escaping');
  const tree = path.join(directory, 'busybox-rootfs');
  execFileSync('mv', [path.join(tree, 'etc'), path.join(tree, 'real-etc')]);
  symlinkSync(`${hostTarget}/etc`, path.join(tree, 'etc'));
  symlinkSync(hostTarget, path.join(tree, 'usr'));
  mkdirSync(path.join(tree, hostTarget.slice(1)), { recursive: true });
  execFileSync('mv', [path.join(tree, 'real-etc'), path.join(tree, hostTarget.slice(1), 'etc')]);
  const escaping = path.join(directory, 'escaping-rootfs.tar');
  execFileSync('tar', ['-C', tree, '--owner=0', '--group=0', '-cf', escaping, '.']);
  return tarball === escaping ? tarball : escaping;
}

/** A tarball of plain files: not a root filesystem. */
export function notARootfsTarball(directory: string): string {
  const tree = path.join(directory, 'notes');
  mkdirSync(tree, { recursive: true });
  writeFileSync(path.join(tree, 'notes.txt'), 'just some notes\n');
  const tarball = path.join(directory, 'notes.tar');
  execFileSync('tar', ['-C', tree, '-cf', tarball, '.']);
  return tarball;
}

/** A root filesystem whose /bin/sh is an x86-64 program (only its ELF header, never run). */
export function amd64RootfsTarball(directory: string): string {
  const tree = path.join(directory, 'amd64-rootfs');
  mkdirSync(path.join(tree, 'bin'), { recursive: true });
  mkdirSync(path.join(tree, 'etc'), { recursive: true });
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01]).copy(header); // ELF, 64-bit, LSB
  header.writeUInt16LE(0x3e, 18); // e_machine: x86-64
  writeFileSync(path.join(tree, 'bin', 'sh'), header, { mode: 0o755 });
  writeFileSync(path.join(tree, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const tarball = path.join(directory, 'amd64-rootfs.tar');
  execFileSync('tar', ['-C', tree, '-cf', tarball, '.']);
  return tarball;
}

export function truncatedCopy(filePath: string, keepBytes: number): string {
  const out = filePath.replace(/(\.[a-z0-9]+)$/, `-truncated$1`);
  copyFileSync(filePath, out);
  execFileSync('truncate', ['-s', String(keepBytes), out]);
  return out;
}

export function fileSha256(filePath: string): string {
  return execFileSync('sha256sum', [filePath], { encoding: 'utf8' }).split(' ')[0]!;
}

export function readJson(filePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(filePath, 'utf8')) as Record<string, unknown>;
}
