import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '@/lib/server/catalog';

let directory: string;

function addImage(folder: string, disk: Buffer | undefined, manifest: Record<string, unknown> | string): void {
  mkdirSync(path.join(directory, folder));
  if (disk) writeFileSync(path.join(directory, folder, 'disk.img'), disk);
  writeFileSync(path.join(directory, folder, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
}

function manifestFor(id: string, disk: Buffer, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `Image ${id}`,
    description: '',
    sizeBytes: disk.length,
    sha256: createHash('sha256').update(disk).digest('hex'),
    chunkSizeBytes: 4096,
    zeroChunks: [],
    boot: { memoryMiB: 64, vgaMemoryMiB: 8, acpi: false },
    partitions: [],
    ...overrides,
  };
}

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'leaflab-catalog-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('loadCatalog', () => {
  it('serves a folder whose manifest and disk agree, with its URLs', async () => {
    const disk = Buffer.alloc(8192, 7);
    addImage('good', disk, manifestFor('good', disk));
    const catalog = await loadCatalog(directory);
    expect(catalog.problems).toEqual([]);
    const entry = catalog.entries.get('good');
    expect(entry?.published.url).toBe(`/images/good/${entry?.manifest.sha256}.img`);
    expect(entry?.diskPath).toBe(path.join(directory, 'good', 'disk.img'));
  });

  it('lists, with the reason, every folder it refuses to serve', async () => {
    const disk = Buffer.alloc(8192, 1);
    addImage('not-json', disk, '{ nope');
    addImage('no-disk', undefined, manifestFor('no-disk', disk));
    addImage('wrong-size', Buffer.alloc(4096), manifestFor('wrong-size', disk));
    addImage('wrong-digest', Buffer.alloc(8192, 2), manifestFor('wrong-digest', disk));
    addImage('wrong-id', disk, manifestFor('other-id', disk));
    addImage('bad-field', disk, manifestFor('bad-field', disk, { sizeBytes: 100 }));

    const catalog = await loadCatalog(directory);
    expect(catalog.entries.size).toBe(0);
    const reasons = Object.fromEntries(catalog.problems.map((p) => [p.folder, p.message]));
    expect(reasons['not-json']).toMatch(/cannot read .*manifest.json/);
    expect(reasons['no-disk']).toMatch(/disk image .* is missing/);
    expect(reasons['wrong-size']).toMatch(/4096 bytes but the manifest says 8192/);
    expect(reasons['wrong-digest']).toMatch(/hashes to [0-9a-f]{64} but the manifest promises/);
    expect(reasons['wrong-id']).toMatch(/differs from its folder name/);
    expect(reasons['bad-field']).toMatch(/sizeBytes/);
  });

  it('is empty, not an error, when the catalog folder does not exist yet', async () => {
    const catalog = await loadCatalog(path.join(directory, 'missing'));
    expect(catalog.entries.size).toBe(0);
    expect(catalog.problems).toEqual([]);
  });
});
