import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeCatalog, loadCatalog, type Catalog } from '@/lib/server/catalog';
import { DiskChangedError, type VerifiedDisk } from '@/lib/server/verified-disk';
import { manifestFor, replaceFile, restoreTimes, writeImageFolder } from '../../support/catalog-folder';

const CHUNK = 4096;
let directory: string;
let catalog: Catalog;
let original: Buffer;
let disk: VerifiedDisk;
let diskPath: string;

beforeEach(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'leaflab-verified-disk-'));
  original = randomBytes(8 * CHUNK + 512);
  writeImageFolder(directory, 'img', original, manifestFor('img', original, CHUNK));
  diskPath = path.join(directory, 'img', 'disk.img');
  catalog = await loadCatalog(directory);
  disk = catalog.entries.get('img')!.disk;
});

afterEach(async () => {
  await closeCatalog(catalog);
  rmSync(directory, { recursive: true, force: true });
});

/** Overwrites bytes in place, then puts the mtime back, as `cp -p` or `rsync -a` would leave it. */
function overwriteInPlaceKeepingMtime(offsetBytes: number, bytes: Buffer): void {
  const before = statSync(diskPath, { bigint: true });
  const fd = openSync(diskPath, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offsetBytes);
  closeSync(fd);
  restoreTimes(diskPath, before);
  expect(statSync(diskPath, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
  expect(statSync(diskPath).size).toBe(Number(before.size));
}

describe('VerifiedDisk', () => {
  it('reads whole chunks, the short last one included, exactly as verified', async () => {
    expect((await disk.readChunks(0, 9)).equals(original)).toBe(true);
    expect((await disk.readChunks(8, 1)).equals(original.subarray(8 * CHUNK))).toBe(true);
    expect((await disk.readChunks(2, 3)).equals(original.subarray(2 * CHUNK, 5 * CHUNK))).toBe(true);
  });

  it('refuses a chunk rewritten in place with size and mtime kept, and still serves the untouched ones', async () => {
    overwriteInPlaceKeepingMtime(3 * CHUNK + 100, Buffer.from('changed'));
    await expect(disk.readChunks(3, 1)).rejects.toThrow(DiskChangedError);
    await expect(disk.readChunks(2, 4)).rejects.toThrow(/chunk 3 no longer matches its verified digest/);
    expect((await disk.readChunks(0, 3)).equals(original.subarray(0, 3 * CHUNK))).toBe(true);
    // The stat check sees it too: the ctime moved even though the mtime was put back.
    expect(await disk.currentIdentity()).not.toEqual(disk.identity);
  });

  it('keeps reading the verified bytes after the file is replaced by rename', async () => {
    replaceFile(diskPath, randomBytes(original.length));
    expect((await disk.readChunks(0, 9)).equals(original)).toBe(true);
    expect(statSync(diskPath).ino).not.toBe(disk.identity.ino);
  });

  it('refuses the chunks a truncation cut off', async () => {
    truncateSync(diskPath, 5 * CHUNK);
    await expect(disk.readChunks(4, 2)).rejects.toThrow(/chunk 5 is cut short/);
    expect((await disk.readChunks(0, 5)).equals(original.subarray(0, 5 * CHUNK))).toBe(true);
  });

  it('stays open for the replies that leased it when retired, and takes no new ones', async () => {
    expect(disk.lease()).toBe(true);
    await disk.retire();
    expect(disk.lease()).toBe(false);
    expect((await disk.readChunks(0, 1)).equals(original.subarray(0, CHUNK))).toBe(true);
    disk.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(disk.readChunks(0, 1)).rejects.toThrow(/cannot be read/);
  });
});
