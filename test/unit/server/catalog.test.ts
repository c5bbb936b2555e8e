import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeCatalog, loadCatalog, type Catalog } from '@/lib/server/catalog';
import { chunkTableOf as chunkTableOfChunks, manifestFor as manifestOfChunks, sha256Hex, writeImageFolder } from '../../support/catalog-folder';

const CHUNK = 4096;
let directory: string;
const loaded: Catalog[] = [];

/** loadCatalog, with the catalog's open disks closed after the test. */
async function load(catalogDirectory = directory): Promise<Catalog> {
  const catalog = await loadCatalog(catalogDirectory);
  loaded.push(catalog);
  return catalog;
}

const chunkTableOf = (disk: Buffer) => chunkTableOfChunks(disk, CHUNK);
const manifestFor = (id: string, disk: Buffer, overrides: Record<string, unknown> = {}) => manifestOfChunks(id, disk, CHUNK, overrides);
const addImage = (folder: string, disk: Buffer | undefined, manifest: Record<string, unknown> | string, table?: Buffer | null) =>
  writeImageFolder(directory, folder, disk, manifest, { chunkSizeBytes: CHUNK, table });

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'leaflab-catalog-'));
});
afterEach(async () => {
  await Promise.all(loaded.splice(0).map(closeCatalog));
  rmSync(directory, { recursive: true, force: true });
});

describe('loadCatalog', () => {
  it('serves a folder whose manifest, disk and chunk table agree, with its URLs', async () => {
    const disk = Buffer.alloc(8192, 7);
    addImage('good', disk, manifestFor('good', disk));
    const catalog = await load();
    expect(catalog.problems).toEqual([]);
    const entry = catalog.entries.get('good');
    expect(entry?.published.url).toBe(`/images/good/${entry?.manifest.sha256}.img`);
    expect(entry?.published.chunkDigestsUrl).toBe(`/images/good/${entry?.manifest.sha256}.chunks`);
    expect(entry?.disk.chunkTable.equals(chunkTableOf(disk))).toBe(true);
    expect(entry?.disk.identity.sizeBytes).toBe(8192);
  });

  it('lists, with the reason, every folder it refuses to serve', async () => {
    const disk = Buffer.alloc(8192, 1);
    addImage('not-json', disk, '{ nope');
    addImage('no-disk', undefined, manifestFor('no-disk', disk));
    addImage('wrong-size', Buffer.alloc(4096), manifestFor('wrong-size', disk));
    addImage('wrong-digest', Buffer.alloc(8192, 2), manifestFor('wrong-digest', disk), chunkTableOf(disk));
    addImage('wrong-id', disk, manifestFor('other-id', disk));
    addImage('bad-field', disk, manifestFor('bad-field', disk, { sizeBytes: 100 }));

    const catalog = await load();
    expect(catalog.entries.size).toBe(0);
    const reasons = Object.fromEntries(catalog.problems.map((p) => [p.folder, p.message]));
    expect(reasons['not-json']).toMatch(/cannot read .*manifest.json/);
    expect(reasons['no-disk']).toMatch(/disk image .* is missing/);
    expect(reasons['wrong-size']).toMatch(/4096 bytes but the manifest says 8192/);
    expect(reasons['wrong-digest']).toMatch(/hashes to [0-9a-f]{64} but the manifest promises/);
    expect(reasons['wrong-id']).toMatch(/differs from its folder name/);
    expect(reasons['bad-field']).toMatch(/sizeBytes/);
  });

  it('refuses an image whose chunk table is missing, mis-sized, not the one named, or not the disk’s', async () => {
    const disk = Buffer.concat([Buffer.alloc(CHUNK, 3), Buffer.alloc(CHUNK, 4), Buffer.alloc(512, 5)]);
    const table = chunkTableOf(disk);
    addImage('no-table', disk, manifestFor('no-table', disk), null);
    addImage('short-table', disk, manifestFor('short-table', disk), table.subarray(0, 64));
    const swapped = Buffer.concat([table.subarray(32, 64), table.subarray(0, 32), table.subarray(64)]);
    addImage('other-table', disk, manifestFor('other-table', disk), swapped);
    // A manifest that names the swapped table consistently: the table then disagrees with the disk.
    addImage('table-not-of-disk', disk, manifestFor('table-not-of-disk', disk, { chunkDigests: { file: 'chunks.sha256', sha256: sha256Hex(swapped) } }), swapped);

    const catalog = await load();
    expect(catalog.entries.size).toBe(0);
    const reasons = Object.fromEntries(catalog.problems.map((p) => [p.folder, p.message]));
    expect(reasons['no-table']).toMatch(/chunk table .*no-table\/chunks.sha256 is missing/);
    expect(reasons['short-table']).toMatch(/is 64 bytes, .* needs 3 digests/);
    expect(reasons['other-table']).toMatch(/chunks.sha256 hashes to [0-9a-f]{64} but the manifest promises/);
    expect(reasons['table-not-of-disk']).toMatch(/chunks.sha256 does not hold the disk's chunk digests/);
  });

  it('refuses a manifest that lists a chunk holding data as all-zero, and accepts real zero chunks', async () => {
    const disk = Buffer.concat([Buffer.alloc(CHUNK, 1), Buffer.alloc(CHUNK), Buffer.alloc(CHUNK, 2)]);
    addImage('true-zeros', disk, manifestFor('true-zeros', disk, { zeroChunks: [[1, 1]] }));
    addImage('false-zeros', disk, manifestFor('false-zeros', disk, { zeroChunks: [[1, 2]] }));
    const catalog = await load();
    expect([...catalog.entries.keys()]).toEqual(['true-zeros']);
    expect(catalog.problems).toEqual([{ folder: 'false-zeros', message: expect.stringMatching(/lists chunk 2 as all-zero, but it holds data/) }]);
  });

  it('names files by catalog folder, never by absolute path', async () => {
    const disk = Buffer.alloc(8192, 1);
    addImage('not-json', disk, '{ nope');
    addImage('no-disk', undefined, manifestFor('no-disk', disk));
    mkdirSync(path.join(directory, 'empty'));
    addImage('no-table', disk, manifestFor('no-table', disk), null);
    const catalog = await load();
    expect(catalog.problems).toHaveLength(4);
    for (const problem of catalog.problems) {
      expect(problem.message).not.toContain(directory);
      expect(problem.message).toContain(`${path.basename(directory)}/${problem.folder}`);
    }
  });

  it('is empty, not an error, when the catalog folder does not exist yet', async () => {
    const catalog = await load(path.join(directory, 'missing'));
    expect(catalog.entries.size).toBe(0);
    expect(catalog.problems).toEqual([]);
  });
});
