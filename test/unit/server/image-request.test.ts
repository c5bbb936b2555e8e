/**
 * The image request handler on a real HTTP server, over a catalog verified from real files:
 * what a reply carries when the disk changes under it. The catalog is held still here (changes
 * are reported, not re-verified) so that each path is hit deterministically; the whole server
 * with its re-verification is test/integration/image-replace.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeCatalog, loadCatalog, type Catalog } from '@/lib/server/catalog';
import { serveImage } from '@/lib/server/image-request';
import { chunkTableOf, manifestFor, replaceFile, restoreTimes, writeImageFolder } from '../../support/catalog-folder';
import { keepAliveAgent, rawRequest } from '../../integration/support/raw-http';

const MIB = 1024 * 1024;
const CHUNK = 64 * 1024;
const SIZE = 4 * MIB;
const HALF = SIZE / 2;
let directory: string;
let catalog: Catalog;
let server: Server;
let port: number;
let original: Buffer;
let digestUrl: string;
let reports: Array<{ folder: string; reason: string }>;
const agent = keepAliveAgent(4);

beforeEach(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'leaflab-image-request-'));
  original = randomBytes(SIZE);
  const manifest = manifestFor('img', original, CHUNK);
  writeImageFolder(directory, 'img', original, manifest, { chunkSizeBytes: CHUNK });
  writeImageFolder(directory, 'broken', original, manifestFor('broken', randomBytes(SIZE), CHUNK), { chunkSizeBytes: CHUNK });
  digestUrl = `/images/img/${String(manifest.sha256)}.img`;
  catalog = await loadCatalog(directory);
  reports = [];
  const images = { current: () => catalog, reportChanged: (folder: string, reason: string) => void reports.push({ folder, reason }) };
  server = createServer((req, res) => void serveImage(req, res, images));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await closeCatalog(catalog);
  rmSync(directory, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) => rawRequest(agent, port, 'GET', url, headers);

/** Rewrites the second half of the disk in place and puts atime and mtime back (`cp -p`). */
function rewriteSecondHalfInPlace(): void {
  const diskPath = path.join(directory, 'img', 'disk.img');
  const before = statSync(diskPath, { bigint: true });
  const fd = openSync(diskPath, 'r+');
  writeSync(fd, randomBytes(HALF), 0, HALF, HALF);
  closeSync(fd);
  restoreTimes(diskPath, before);
}

describe('serveImage', () => {
  it('serves the verified bytes and the verified chunk table', async () => {
    const ranged = await get(digestUrl, { Range: `bytes=${HALF - 10}-${HALF + MIB}` });
    expect(ranged.status).toBe(206);
    expect(ranged.body.equals(original.subarray(HALF - 10, HALF + MIB + 1))).toBe(true);
    const whole = await get('/images/img/disk.img');
    expect([whole.status, whole.complete, whole.body.equals(original)]).toEqual([200, true, true]);
    const table = await get(digestUrl.replace(/\.img$/, '.chunks'));
    expect(table.body.equals(chunkTableOf(original, CHUNK))).toBe(true);
  });

  it('refuses, before the headers, a range whose chunks were rewritten in place with size and mtime kept', async () => {
    rewriteSecondHalfInPlace();
    const reply = await get(digestUrl, { Range: `bytes=${HALF + 100}-${HALF + 5000}` });
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    const text = reply.body.toString();
    expect(text).toContain(`The image ${path.basename(directory)}/img changed on the server`);
    expect(text).toContain('chunk 32 no longer matches its verified digest');
    expect(text).not.toContain(directory);
    expect(reports).toEqual([{ folder: 'img', reason: 'chunk 32 no longer matches its verified digest' }]);
  });

  it('cuts a reply short, after its verified part, when a later chunk was rewritten', async () => {
    rewriteSecondHalfInPlace();
    const startBytes = HALF - MIB - 300;
    const reply = await get(digestUrl, { Range: `bytes=${startBytes}-${HALF + MIB}` });
    expect(reply.status).toBe(206);
    expect(reply.complete).toBe(false);
    expect(reply.body.length).toBeGreaterThan(0);
    expect(reply.body.length).toBeLessThanOrEqual(HALF - startBytes);
    expect(reply.body.equals(original.subarray(startBytes, startBytes + reply.body.length))).toBe(true);
    expect(reports.map((report) => report.folder)).toEqual(['img']);
    // The server goes on: the untouched first half is still served, exactly.
    const first = await get(digestUrl, { Range: 'bytes=0-65535' });
    expect([first.status, first.body.equals(original.subarray(0, 65536))]).toEqual([206, true]);
  });

  it('keeps serving the verified content through its handle after the file is replaced by rename', async () => {
    replaceFile(path.join(directory, 'img', 'disk.img'), randomBytes(SIZE));
    const whole = await get(digestUrl);
    expect([whole.status, whole.complete, whole.body.equals(original)]).toEqual([200, true, true]);
    expect(reports).toEqual([]);
  });

  it('answers a folder that cannot be served with 503 naming the folder, and an unknown one with 404', async () => {
    const broken = await get('/images/broken/disk.img');
    expect(broken.status).toBe(503);
    expect(broken.body.toString()).toMatch(new RegExp(`^Image "broken" cannot be served now: ${path.basename(directory)}/broken/chunks.sha256 hashes to`));
    expect(broken.body.toString()).not.toContain(directory);
    expect((await get('/images/nothing/disk.img')).status).toBe(404);
  });

  it('survives clients that leave mid-reply, and releases the disk for each', async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const leaving = request({ host: '127.0.0.1', port, path: digestUrl }, (res) => {
          res.once('data', () => {
            leaving.destroy();
            resolve();
          });
        });
        leaving.on('error', () => resolve());
        leaving.end();
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await get(digestUrl, { Range: 'bytes=0-9' });
    expect([after.status, after.body.equals(original.subarray(0, 10))]).toEqual([206, true]);
    // Every lease was given back: retiring closes the handle at once.
    const disk = catalog.entries.get('img')!.disk;
    await disk.retire();
    await expect(disk.readChunks(0, 1)).rejects.toThrow(/cannot be read/);
  });
});
