/**
 * The default image build is reproducible and runs no i386 program on the host: building it
 * again, from the same inputs into another folder, with every unpacked package in a noexec
 * folder (as on a host that cannot execute 32-bit code at all), gives the same bytes. Users'
 * saved changes are bound to the root's sha-256, so the digest must not drift.
 * Runs the real builder (about 20 s with the package cache warm, plus a boot in v86 that records
 * the boot working set; `npm test` built the image into catalog/ just before). debian-lab's twin of this test is in the slow lane
 * (test/slow/debian-lab-build.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@/lib/images/manifest';
import { buildWithNoexecWorkDir } from '../support/noexec-build';

const catalogImage = path.join(process.cwd(), 'catalog', 'leaflab-linux');
const secondBuild = mkdtempSync(path.join(tmpdir(), 'leaflab-image-'));

function sha256(filePath: string): string {
  return createHash('sha256').update(readFileSync(filePath)).digest('hex');
}

/** Runs the builder; returns its log (it logs to stderr). */
function build(...args: string[]): string {
  return execFileSync('bash', ['-c', 'bash image/build.sh "$@" 2>&1', 'build', ...args], { encoding: 'utf8' });
}

afterAll(() => rmSync(secondBuild, { recursive: true, force: true }));

describe('the default image build', () => {
  it('gives the same sha-256 when built again where unpacked packages cannot be executed', () => {
    const first = parseManifest(JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')), 'catalog');
    expect(sha256(path.join(catalogImage, 'disk.img'))).toBe(first.sha256);

    const { status, log } = buildWithNoexecWorkDir(['leaflab-linux', '--force', '--out', secondBuild], { freshAppletList: true });
    expect(status, log).toBe(0);
    // BusyBox's applets were listed by BusyBox itself, inside v86.
    expect(log).toContain("listing BusyBox's applets inside v86");
    const second = JSON.parse(readFileSync(path.join(secondBuild, 'manifest.json'), 'utf8')) as unknown;
    expect(sha256(path.join(secondBuild, 'disk.img'))).toBe(first.sha256);
    expect(second).toEqual(JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')));
  }, 480_000);

  it('lists exactly the all-zero chunks in the manifest', () => {
    const manifest = parseManifest(JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')), 'catalog');
    const disk = readFileSync(path.join(catalogImage, 'disk.img'));
    const zero = new Set<number>();
    for (const [first, count] of manifest.zeroChunks) for (let i = first; i < first + count; i++) zero.add(i);
    const chunkCount = Math.ceil(manifest.sizeBytes / manifest.chunkSizeBytes);
    for (let chunk = 0; chunk < chunkCount; chunk++) {
      const bytes = disk.subarray(chunk * manifest.chunkSizeBytes, (chunk + 1) * manifest.chunkSizeBytes);
      expect(bytes.every((b) => b === 0), `chunk ${chunk}`).toBe(zero.has(chunk));
    }
    // The point of the list: most of a fresh disk is never fetched.
    expect(zero.size).toBeGreaterThan(chunkCount / 2);
  });

  it('reuses an up-to-date build instead of rebuilding it', () => {
    expect(build('leaflab-linux', '--out', secondBuild)).toMatch(/up to date: reused/);
  });
});
