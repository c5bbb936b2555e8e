/**
 * Runs an image build as it would run on a host that cannot execute i386 programs at all: its
 * work folder, where every package is unpacked, is mounted noexec in a private mount namespace,
 * so any attempt to run an unpacked file fails ("Permission denied") and fails the build. The
 * files keep their modes, so the image must come out byte for byte the same as a normal build.
 * Needs root (CI runs as root), like the image builds themselves.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';

const projectRoot = process.cwd();

export function buildWithNoexecWorkDir(args: string[], options: { freshAppletList?: boolean } = {}): { status: number | null; log: string } {
  const cache = path.join(projectRoot, '.cache', 'image');
  mkdirSync(cache, { recursive: true });
  const workParent = mkdtempSync(path.join(cache, 'noexec-'));
  // The applet list is cached by BusyBox's digest; without it the build must ask the guest.
  if (options.freshAppletList) rmSync(path.join(cache, 'busybox-applets'), { recursive: true, force: true });
  try {
    const script = [
      'set -e',
      'mount --bind "$1" "$1"',
      'mount -o remount,bind,noexec "$1"',
      // Prove the mount bites before trusting it: a copy of the host's own `true` must not run.
      'cp /bin/true "$1/probe"; if "$1/probe" 2>/dev/null; then echo "noexec-build: the work folder is not noexec" >&2; exit 99; fi; rm "$1/probe"',
      'shift',
      'exec bash image/build.sh "$@"',
    ].join('\n');
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script, 'noexec-build', workParent, ...args], {
      cwd: projectRoot,
      env: { ...process.env, LEAFLAB_IMAGE_WORK_DIR: workParent },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    return { status: result.status, log: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(workParent, { recursive: true, force: true });
  }
}
