/**
 * The default image build is reproducible: building it again from the same inputs into another
 * folder gives the same bytes, because users' saved changes are bound to the root's sha-256.
 * Runs the real builder (about 15 s with the package cache warm; `npm test` built the image
 * into catalog/ just before).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@/lib/images/manifest';

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
  it('gives the same sha-256 when built twice from the same inputs', () => {
    const first = parseManifest(JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')), 'catalog');
    expect(sha256(path.join(catalogImage, 'disk.img'))).toBe(first.sha256);

    build('--force', '--out', secondBuild);
    const second = JSON.parse(readFileSync(path.join(secondBuild, 'manifest.json'), 'utf8')) as unknown;
    expect(sha256(path.join(secondBuild, 'disk.img'))).toBe(first.sha256);
    expect(second).toEqual(JSON.parse(readFileSync(path.join(catalogImage, 'manifest.json'), 'utf8')));
  }, 300_000);

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
    expect(build('--out', secondBuild)).toMatch(/up to date: reused/);
  });
});
