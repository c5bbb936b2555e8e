/**
 * One verified catalog per server process: server.ts hashes the disks before it listens, and
 * Next's pages and /api/images (bundled apart from server.ts) read that same state instead of
 * hashing again. What visitors see of a folder that cannot be served names the catalog folder,
 * never an absolute path.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestFor, replaceFile, writeImageFolder } from '../support/catalog-folder';
import { keepAliveAgent, rawRequest } from './support/raw-http';
import { ServerProcess } from './support/server-process';

const CHUNK = 65536;
const work = mkdtempSync(path.join(tmpdir(), 'leaflab-catalog-once-'));
const catalog = path.join(work, 'catalog');
const disk = randomBytes(4 * 1024 * 1024);
const manifest = manifestFor('img', disk, CHUNK);
let server: ServerProcess;
const agent = keepAliveAgent(2);

beforeAll(async () => {
  writeImageFolder(catalog, 'img', disk, manifest, { chunkSizeBytes: CHUNK });
  server = await ServerProcess.start(catalog);
}, 90_000);

afterAll(async () => {
  agent.destroy();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const get = (url: string) => rawRequest(agent, server.port, 'GET', url);

describe('the catalog of a running server', () => {
  it('is hashed once, before the server listens, and shared by the pages and the API', async () => {
    expect(server.output.indexOf('catalog: verified 1 image')).toBeLessThan(server.output.indexOf('ready on http://'));
    for (let i = 0; i < 3; i++) {
      const api = await get('/api/images');
      expect(api.status).toBe(200);
      expect(JSON.parse(api.body.toString())).toMatchObject([
        { id: 'img', sha256: manifest.sha256, chunkDigestsUrl: `/images/img/${String(manifest.sha256)}.chunks` },
      ]);
      expect((await get('/')).body.toString()).toContain('data-image-id="img"');
      expect((await get('/lab/img')).status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await get('/api/images'); // a check for changes is due: it finds none and hashes nothing
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.output.match(/catalog: /g), server.output).toHaveLength(1);
  }, 60_000);

  it('shows a folder that stopped matching its manifest as a problem, named by its catalog folder', async () => {
    replaceFile(path.join(catalog, 'img', 'disk.img'), randomBytes(disk.length));
    const deadline = Date.now() + 15_000;
    let listed: unknown[] = [{}];
    while (listed.length > 0 && Date.now() < deadline) {
      listed = JSON.parse((await get('/api/images')).body.toString()) as unknown[];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(listed, server.output).toEqual([]);
    const home = (await get('/')).body.toString();
    expect(home).toContain('catalog/img/disk.img hashes to');
    expect(home).not.toContain(work);
    const lab = (await get('/lab/img')).body.toString();
    expect(lab).toContain('catalog/img/disk.img hashes to');
    expect(lab).not.toContain(work);
    const image = await get('/images/img/disk.img');
    expect(image.status).toBe(503);
    expect(image.body.toString()).toContain('catalog/img/disk.img hashes to');
    expect(image.body.toString()).not.toContain(work);
  }, 60_000);
});
