import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogService, catalogService } from '@/lib/server/catalog-service';
import { manifestFor, replaceFile, restoreTimes, writeImageFolder } from '../../support/catalog-folder';

const CHUNK = 4096;
let directory: string;
let service: CatalogService;
let log: string[];

function startService(): CatalogService {
  log = [];
  service = new CatalogService(directory, undefined, (line) => log.push(line));
  return service;
}

/** Uses the catalog (as requests do) until `condition` holds; checks run at most once a second. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}; log:\n${log.join('\n')}`);
    service.current();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const verifications = () => log.filter((line) => / verified again | cannot be served: /.test(line)).length;

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'leaflab-catalog-service-'));
});

afterEach(async () => {
  await service?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('CatalogService', () => {
  it('hashes every disk once, at start, and serves that state to every caller', async () => {
    const disk = randomBytes(16 * CHUNK);
    writeImageFolder(directory, 'one', disk, manifestFor('one', disk, CHUNK));
    startService();
    expect(service.current().entries.size).toBe(0); // before start-up is done: nothing served yet
    const first = await service.ready();
    expect([...first.entries.keys()]).toEqual(['one']);
    for (let i = 0; i < 50; i++) expect(await service.ready()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(service.current()).toBe(first); // a check that finds nothing changed hashes nothing
    await new Promise((resolve) => setTimeout(resolve, 100));
    await service.settled();
    expect(log.filter((line) => line.startsWith('catalog: verified 1 image (0 MiB) in '))).toHaveLength(1);
    expect(verifications()).toBe(0);
    expect(service.current()).toBe(first);
  });

  it('is one service per process, kept on globalThis for every bundle of the module', async () => {
    const previous = process.env.LEAFLAB_CATALOG_DIR;
    process.env.LEAFLAB_CATALOG_DIR = directory;
    try {
      service = catalogService();
      expect(catalogService()).toBe(service);
      expect((globalThis as unknown as Record<symbol, unknown>)[Symbol.for('leaflab.catalogService')]).toBe(service);
      expect(service.directory).toBe(directory);
    } finally {
      await service.close();
      delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('leaflab.catalogService')];
      if (previous === undefined) delete process.env.LEAFLAB_CATALOG_DIR;
      else process.env.LEAFLAB_CATALOG_DIR = previous;
    }
  });

  it('verifies a disk replaced by rename again, and refuses it while the manifest does not match', async () => {
    const disk = randomBytes(16 * CHUNK);
    writeImageFolder(directory, 'img', disk, manifestFor('img', disk, CHUNK));
    await startService().ready();
    const other = randomBytes(16 * CHUNK);
    replaceFile(path.join(directory, 'img', 'disk.img'), other);
    await eventually(() => service.current().problems.length === 1, 'the replaced disk is refused');
    expect(service.current().problems[0]!.message).toMatch(/^leaflab-catalog-service-\w+\/img\/disk.img hashes to [0-9a-f]{64} but the manifest promises/);
    expect(service.current().entries.size).toBe(0);
    // The rebuild finishes: its table and manifest arrive, and the new content is served.
    writeImageFolder(directory, 'img', other, manifestFor('img', other, CHUNK));
    await eventually(() => service.current().entries.get('img')?.manifest.sha256 === manifestFor('img', other, CHUNK).sha256, 'the new build is served');
    expect(service.current().problems).toEqual([]);
  });

  it('notices an in-place rewrite that keeps size and mtime (the ctime moves), and refuses the image', async () => {
    const disk = randomBytes(16 * CHUNK);
    writeImageFolder(directory, 'img', disk, manifestFor('img', disk, CHUNK));
    await startService().ready();
    const diskPath = path.join(directory, 'img', 'disk.img');
    const before = statSync(diskPath, { bigint: true });
    const fd = openSync(diskPath, 'r+');
    writeSync(fd, Buffer.from('rewritten'), 0, 9, 5 * CHUNK);
    closeSync(fd);
    restoreTimes(diskPath, before);
    await eventually(() => service.current().problems.length === 1, 'the rewritten disk is refused');
    expect(service.current().problems[0]!.message).toMatch(/img\/disk.img hashes to .* but the manifest promises/);
  });

  it('verifies a reported folder once however many replies report it before the disk is read', async () => {
    const disk = randomBytes(64 * CHUNK);
    writeImageFolder(directory, 'img', disk, manifestFor('img', disk, CHUNK));
    await startService().ready();
    const before = service.current().entries.get('img')!;
    for (let i = 0; i < 20; i++) service.reportChanged('img', 'a test');
    await Promise.resolve();
    for (let i = 0; i < 20; i++) service.reportChanged('img', 'a test');
    await service.settled();
    expect(verifications()).toBe(1);
    service.reportChanged('img', 'a test');
    await service.settled();
    expect(verifications()).toBe(2);
    // Each verification opened the disk anew; the replaced handles take no new replies.
    expect(service.current().entries.get('img')).not.toBe(before);
    expect(before.disk.lease()).toBe(false);
  });

  it('adds a new folder and drops a removed one, closing its disk', async () => {
    const disk = randomBytes(4 * CHUNK);
    writeImageFolder(directory, 'old', disk, manifestFor('old', disk, CHUNK));
    await startService().ready();
    const oldDisk = service.current().entries.get('old')!.disk;
    writeImageFolder(directory, 'new', disk, manifestFor('new', disk, CHUNK));
    rmSync(path.join(directory, 'old'), { recursive: true });
    await eventually(() => [...service.current().entries.keys()].join() === 'new', 'the catalog is just "new"');
    expect(oldDisk.lease()).toBe(false);
  });
});
