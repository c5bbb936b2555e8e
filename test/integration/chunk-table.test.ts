/**
 * The chunk table (catalog/<id>/chunks.sha256) that the image tools write beside each disk:
 * checked here against a chunk-by-chunk hash of the disk, independent of the code that wrote it,
 * for `npm run image:add` and for the default image that `npm run image` built.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@/lib/images/manifest';

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-chunk-table-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads an image folder and checks its table against the disk, chunk by chunk. */
function expectTableOfDisk(folder: string): void {
  const manifestPath = path.join(folder, 'manifest.json');
  const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  const disk = readFileSync(path.join(folder, 'disk.img'));
  const table = readFileSync(path.join(folder, manifest.chunkDigests.file));
  const chunkCount = Math.ceil(disk.length / manifest.chunkSizeBytes);
  expect(table.length).toBe(chunkCount * 32);
  expect(sha256Hex(table)).toBe(manifest.chunkDigests.sha256);
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    const bytes = disk.subarray(chunk * manifest.chunkSizeBytes, (chunk + 1) * manifest.chunkSizeBytes);
    const expected = createHash('sha256').update(bytes).digest();
    if (!expected.equals(table.subarray(chunk * 32, chunk * 32 + 32))) throw new Error(`${folder}: chunk ${chunk}'s digest is wrong`);
  }
}

describe('the chunk table', () => {
  it('is written by npm run image:add, one digest per chunk, the short last chunk included', () => {
    // 64 KiB chunks: 64 whole ones, some all-zero, and a 512-byte tail.
    const disk = Buffer.concat([randomBytes(32 * 65536), Buffer.alloc(16 * 65536), randomBytes(16 * 65536 + 512)]);
    disk[510] = 0x55;
    disk[511] = 0xaa;
    const input = path.join(work, 'tiny.img');
    writeFileSync(input, disk);
    const catalog = path.join(work, 'catalog');
    // This disk boots nothing, so recording its boot set would only wait for a prompt that never
    // comes (record-boot-set.test.ts and the image builds cover the recording).
    const result = spawnSync('npm', ['run', '--silent', 'image:add', '--', input, '--id', 'tiny', '--no-boot-set'], {
      env: { ...process.env, LEAFLAB_CATALOG_DIR: catalog },
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expectTableOfDisk(path.join(catalog, 'tiny'));
    expect(readFileSync(path.join(catalog, 'tiny', 'chunks.sha256')).length).toBe(65 * 32);
  }, 120_000);

  it('is written by the image build beside the default image', () => {
    const folder = path.join(process.cwd(), 'catalog', 'leaflab-linux');
    expect(existsSync(folder), 'npm test builds the default image first').toBe(true);
    expectTableOfDisk(folder);
  });
});
