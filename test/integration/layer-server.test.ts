/**
 * Published layers through a real server.ts, once per layer store backend (a directory, and S3
 * through s3rver): publishLayer from Node with in-memory frozen layers, a resumed upload, chunk
 * de-duplication, every refusal with its message and nothing published, reading back with
 * openPublishedLayer, and Range/ETag on /layers/<id>/body. Ports 3310-3319.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootIdentity } from '../../lib/disk/leaf-store';
import { layerChunkKey } from '../../lib/disk/root-chunk-cache';
import { MemoryRootChunkStore } from '../../lib/disk/root-chunk-cache-memory';
import { bodyGeometry } from '../../lib/layers/layer-body-geometry';
import { LayerPublishError, publishLayer } from '../../lib/layers/publish-layer';
import { openPublishedLayer } from '../../lib/layers/published-layer';
import { DirectoryObjectStore } from '../../lib/server/layers/directory-object-store';
import type { ObjectStore } from '../../lib/server/layers/object-store';
import { S3ObjectStore } from '../../lib/server/layers/s3-object-store';
import { manifestFor, sha256Hex, writeImageFolder } from '../support/catalog-folder';
import { canonicalBody, uploadOf, uploadOfLayer, type UploadFixture } from '../support/layer-upload-fixture';
import { expectedBlock, memoryFrozenLayer, seededBlocks } from '../support/memory-frozen-layer';
import { S3_TEST_CREDENTIALS, S3TestServer } from '../support/s3-test-server';
import { ServerProcess } from './support/server-process';

const BLOCK = 32768;
const CHUNK = 65536;
const MAX_BODY_BYTES = 6 * 1024 * 1024;
const work = mkdtempSync(path.join(tmpdir(), 'leaflab-layer-server-'));
const catalog = path.join(work, 'catalog');
const disks = { img: randomBytes(16 * 1024 * 1024), img2: randomBytes(16 * 1024 * 1024) };
const ROOT: RootIdentity = { id: 'img', sizeBytes: disks.img.length, sha256: sha256Hex(disks.img) };
const OTHER_ROOT: RootIdentity = { id: 'img2', sizeBytes: disks.img2.length, sha256: sha256Hex(disks.img2) };
let s3: S3TestServer;

beforeAll(async () => {
  for (const [id, disk] of Object.entries(disks)) writeImageFolder(catalog, id, disk, manifestFor(id, disk, CHUNK), { chunkSizeBytes: CHUNK });
  s3 = await S3TestServer.start(3317);
}, 60_000);
afterAll(async () => {
  await s3?.stop();
  rmSync(work, { recursive: true, force: true });
});

function layer(blockIndices: number[], seed: number, root = ROOT) {
  return memoryFrozenLayer(`cp-${seed}`, root, BLOCK, seededBlocks(blockIndices, BLOCK, seed));
}
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

interface SentRequest {
  method: string;
  url: string;
  bodyBytes: number;
}

/** globalThis.fetch that records what it sends (the requests still go to the real server). */
function recordingFetch(sent: SentRequest[], afterEach?: (request: SentRequest) => void): typeof fetch {
  return async (input, init) => {
    const request = { method: init?.method ?? 'GET', url: String(input), bodyBytes: init?.body instanceof Uint8Array ? init.body.length : 0 };
    const response = await fetch(input, init);
    sent.push(request);
    afterEach?.(request);
    return response;
  };
}
const chunksSent = (sent: SentRequest[]) => sent.filter((r) => r.url.includes('/chunks/')).reduce((sum, r) => sum + Math.ceil(r.bodyBytes / CHUNK), 0);

const backends: Array<[string, number, () => { env: Record<string, string>; objects: ObjectStore }]> = [
  [
    'directory',
    3310,
    () => {
      const directory = path.join(work, 'layers');
      return { env: { LEAFLAB_LAYER_DIR: directory }, objects: new DirectoryObjectStore(directory) };
    },
  ],
  [
    's3',
    3311,
    () => ({
      env: {
        LEAFLAB_LAYER_S3_BUCKET: s3.bucket,
        LEAFLAB_LAYER_S3_ENDPOINT: s3.endpoint,
        LEAFLAB_LAYER_S3_REGION: 'us-east-1',
        LEAFLAB_LAYER_S3_FORCE_PATH_STYLE: '1',
        LEAFLAB_LAYER_S3_PREFIX: 'server-test/',
        AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      },
      objects: new S3ObjectStore({ bucket: s3.bucket, keyPrefix: 'server-test/', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_TEST_CREDENTIALS }),
    }),
  ],
];

describe.each(backends)('published layers on a server with the %s backend', (backend, port, configure) => {
  let server: ServerProcess;
  let objects: ObjectStore;
  let baseUrl: string;
  const publish = (options: Omit<Parameters<typeof publishLayer>[0], 'serverUrl' | 'root'> & { root?: RootIdentity }) =>
    publishLayer({ root: ROOT, serverUrl: baseUrl, retryBaseDelayMs: 10, ...options });

  beforeAll(async () => {
    const configured = configure();
    objects = configured.objects;
    server = await ServerProcess.start(catalog, 90_000, { port, env: { ...configured.env, LEAFLAB_LAYER_MAX_BYTES: String(MAX_BODY_BYTES) } });
    baseUrl = `http://127.0.0.1:${port}`;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('says where it stores layers', () => {
    expect(server.output).toContain(`layers: stored in ${backend === 'directory' ? 'directory' : 'S3 bucket'}`);
  });

  let baseId: string;
  const baseLayer = layer(range(0, 10), 1);

  it('publishes a layer from Node and reads back exactly its blocks', async () => {
    const sent: SentRequest[] = [];
    baseId = await publish({ layer: baseLayer, parentId: null, fetch: recordingFetch(sent) });
    const body = await canonicalBody(baseLayer);
    expect(chunksSent(sent)).toBe(Math.ceil(body.length / CHUNK));
    const descriptorBytes = new Uint8Array(await (await fetch(`${baseUrl}/layers/${baseId}/layer.json`)).arrayBuffer());
    expect(createHash('sha256').update(descriptorBytes).digest('hex')).toBe(baseId);

    const opened = await openPublishedLayer(baseId, { baseUrl });
    expect([opened.kind, opened.parentId, opened.root, opened.blockSizeBytes]).toEqual(['published', undefined, ROOT, BLOCK]);
    expect(opened.sectorMap).toEqual(baseLayer.sectorMap);
    const blocks = await opened.readBlocks([7, 0, 1, 2, 9]);
    for (const blockIndex of [0, 1, 2, 7, 9]) expect(Buffer.from(blocks.get(blockIndex)!).equals(Buffer.from(expectedBlock(baseLayer.blocks.get(blockIndex)!)))).toBe(true);
    await expect(opened.readBlocks([10])).rejects.toThrow('does not hold block 10');
    // Publishing the same layer again sends no chunk.
    const again: SentRequest[] = [];
    expect(await publish({ layer: baseLayer, parentId: null, fetch: recordingFetch(again) })).toBe(baseId);
    expect(chunksSent(again)).toBe(0);
  });

  it('resumes an interrupted upload, sending only the chunks the server lacks', async () => {
    const big = layer(range(100, 140), 2); // 64 KiB index + 140 × 32 KiB = 71 chunks: two requests
    const chunkCount = bodyGeometry(BLOCK, 140).bodySizeBytes / CHUNK;
    expect(chunkCount).toBe(71);
    const controller = new AbortController();
    const first: SentRequest[] = [];
    const interrupted = publish({
      layer: big,
      parentId: null,
      signal: controller.signal,
      fetch: recordingFetch(first, (request) => request.url.includes('/chunks/') && controller.abort(new Error('connection lost'))),
    });
    await expect(interrupted).rejects.toThrow('connection lost');
    expect(chunksSent(first)).toBe(64);
    const upload = await uploadOfLayer(big, null);
    expect((await fetch(`${baseUrl}/layers/${upload.id}/layer.json`)).status).toBe(404);

    const second: SentRequest[] = [];
    const id = await publish({ layer: big, parentId: null, fetch: recordingFetch(second) });
    expect(id).toBe(upload.id);
    expect(chunksSent(second)).toBe(chunkCount - 64);
    const opened = await openPublishedLayer(id, { baseUrl });
    const blocks = await opened.readBlocks(range(100, 140));
    for (const blockIndex of range(100, 140)) expect(Buffer.from(blocks.get(blockIndex)!).equals(Buffer.from(expectedBlock(big.blocks.get(blockIndex)!)))).toBe(true);
  });

  it('stores chunks once: a layer sharing blocks stores no new chunk for them', async () => {
    const chunksBefore = (await objects.list('chunks/')).length;
    // The base layer's ten blocks (five data chunks) at the same places, plus four new blocks (two chunks).
    const grown = layer([...range(0, 10), ...range(30, 4)], 1);
    const sent: SentRequest[] = [];
    const id = await publish({ layer: grown, parentId: baseId, fetch: recordingFetch(sent) });
    // New: its index chunk and the two chunks of the new blocks.
    expect(chunksSent(sent)).toBe(3);
    expect((await objects.list('chunks/')).length).toBe(chunksBefore + 3);
    const opened = await openPublishedLayer(id, { baseUrl });
    expect(opened.parentId).toBe(baseId);
    const blocks = await opened.readBlocks([0, 9, 33]);
    expect(Buffer.from(blocks.get(33)!).equals(Buffer.from(expectedBlock(grown.blocks.get(33)!)))).toBe(true);
  });

  describe('refusals: each with its message, nothing published', () => {
    async function start(upload: UploadFixture, id = upload.id) {
      const response = await fetch(`${baseUrl}/api/layers/${id}`, {
        method: 'PUT',
        body: JSON.stringify({ descriptor: new TextDecoder().decode(upload.descriptorBytes), chunkTable: Buffer.from(upload.chunkTable).toString('base64') }),
      });
      return { status: response.status, reply: (await response.json()) as { error?: string; missingChunks?: number[] } };
    }
    async function sendChunks(upload: UploadFixture, chunks = upload.chunks) {
      const response = await fetch(`${baseUrl}/api/layers/${upload.id}/chunks/0`, { method: 'PUT', body: Buffer.concat(chunks) });
      return { status: response.status, reply: (await response.json()) as { error?: string } };
    }
    async function commit(upload: UploadFixture) {
      const response = await fetch(`${baseUrl}/api/layers/${upload.id}/commit`, { method: 'POST' });
      return { status: response.status, reply: (await response.json()) as { error?: string } };
    }
    async function expectNotPublished(id: string) {
      expect((await fetch(`${baseUrl}/layers/${id}/layer.json`)).status).toBe(404);
      expect((await fetch(`${baseUrl}/layers/${id}/body`)).status).toBe(404);
    }

    it('a chunk that does not match its digest', async () => {
      const upload = await uploadOfLayer(layer([1, 2], 50), null);
      expect((await start(upload)).status).toBe(200);
      const bad = upload.chunks[1]!.slice();
      bad[0] = bad[0]! ^ 1;
      expect(await sendChunks(upload, [upload.chunks[0]!, bad])).toEqual({ status: 400, reply: { error: 'Chunk 1 does not match its sha-256 in the chunk table; nothing of this request was stored.' } });
      expect(await commit(upload)).toEqual({ status: 409, reply: { error: 'The body still lacks 2 of its 2 chunks (first: chunk 0); upload them, then commit again.' } });
      await expectNotPublished(upload.id);
    });

    it('a descriptor that does not hash to the id, and a malformed request', async () => {
      const upload = await uploadOfLayer(layer([1], 51), null);
      const wrongId = '0'.repeat(64);
      expect(await start(upload, wrongId)).toEqual({ status: 400, reply: { error: `The descriptor hashes to ${upload.id}, not to the layer id ${wrongId} it was sent under.` } });
      const notJson = await fetch(`${baseUrl}/api/layers/${upload.id}`, { method: 'PUT', body: 'hello' });
      expect([notJson.status, await notJson.json()]).toEqual([400, { error: 'The upload request must be JSON {"descriptor": "<descriptor text>", "chunkTable": "<base64>"}.' }]);
      const badId = await fetch(`${baseUrl}/api/layers/not-a-layer`, { method: 'PUT', body: '{}' });
      expect([badId.status, await badId.json()]).toEqual([400, { error: '"not-a-layer" is not a layer id (64 lower-case hex digits).' }]);
      await expectNotPublished(wrongId);
      await expectNotPublished(upload.id);
    });

    it('an unknown parent (also as publishLayer reports it)', async () => {
      const parent = 'c'.repeat(64);
      const upload = await uploadOfLayer(layer([1], 52), parent);
      expect(await start(upload)).toEqual({ status: 404, reply: { error: `The parent layer ${parent} is not published on this server; publish it first.` } });
      const publishing = publish({ layer: layer([1], 52), parentId: parent });
      await expect(publishing).rejects.toBeInstanceOf(LayerPublishError);
      await expect(publishing).rejects.toThrow(`was refused (HTTP 404): The parent layer ${parent} is not published on this server; publish it first.`);
      await expectNotPublished(upload.id);
    });

    it('a parent on another root', async () => {
      const foreign = await publish({ layer: layer([1], 53, OTHER_ROOT), parentId: null, root: OTHER_ROOT });
      const upload = await uploadOfLayer(layer([2], 54), foreign);
      expect(await start(upload)).toEqual({
        status: 409,
        reply: { error: `The parent layer ${foreign} was made on root img2 (sha256 ${OTHER_ROOT.sha256}), not on img (sha256 ${ROOT.sha256}).` },
      });
      await expectNotPublished(upload.id);
    });

    it('a body over the size limit', async () => {
      const upload = await uploadOfLayer(layer(range(0, 200), 55), null);
      expect(await start(upload)).toEqual({
        status: 413,
        reply: { error: `The layer's body is ${bodyGeometry(BLOCK, 200).bodySizeBytes} bytes; this server takes layers up to ${MAX_BODY_BYTES} bytes (LEAFLAB_LAYER_MAX_BYTES).` },
      });
      await expectNotPublished(upload.id);
    });

    it('a malformed index', async () => {
      const body = await canonicalBody(layer([1, 2], 56));
      const swapped = body.slice();
      swapped.set(body.subarray(12, 24), 0);
      swapped.set(body.subarray(0, 12), 12);
      const upload = uploadOf(swapped, { root: ROOT, parent: null, blockSizeBytes: BLOCK, blockCount: 2 });
      expect((await start(upload)).status).toBe(200);
      expect((await sendChunks(upload)).status).toBe(200);
      expect(await commit(upload)).toEqual({ status: 400, reply: { error: 'Layer index: entry 1 names block 1 after block 2; entries must ascend strictly; the layer was not published.' } });
      await expectNotPublished(upload.id);
    });

    it('a non-zero byte in a sector its bitmap does not mark', async () => {
      const body = await canonicalBody(layer([4], 57));
      body[CHUNK + 100] = 1; // block 4's sector 0 is not marked
      const upload = uploadOf(body, { root: ROOT, parent: null, blockSizeBytes: BLOCK, blockCount: 1 });
      expect((await start(upload)).status).toBe(200);
      expect((await sendChunks(upload)).status).toBe(200);
      expect(await commit(upload)).toEqual({
        status: 400,
        reply: { error: 'Block 4 has non-zero bytes in sector 0, which its bitmap does not mark; a canonical body zeroes them. The layer was not published.' },
      });
      await expectNotPublished(upload.id);
    });

    it('an unknown root, and a root id with other content', async () => {
      const unknown = await uploadOfLayer(layer([1], 58, { id: 'nope', sizeBytes: ROOT.sizeBytes, sha256: ROOT.sha256 }), null);
      expect(await start(unknown)).toEqual({ status: 404, reply: { error: `The root image "nope" is not in this server's catalog.` } });
      const changed = await uploadOfLayer(layer([1], 59, { ...ROOT, sha256: 'e'.repeat(64) }), null);
      expect(await start(changed)).toEqual({
        status: 404,
        reply: { error: `The root image "img" here is ${ROOT.sizeBytes} bytes with sha256 ${ROOT.sha256}, not the ${ROOT.sizeBytes} bytes with sha256 ${'e'.repeat(64)} the layer was made on.` },
      });
      await expectNotPublished(unknown.id);
      await expectNotPublished(changed.id);
    });
  });

  it('retries a transient failure while publishing', async () => {
    const sent: SentRequest[] = [];
    let failedOnce = false;
    const flaky: typeof fetch = async (input, init) => {
      if (!failedOnce && String(input).includes('/chunks/')) {
        failedOnce = true;
        throw new TypeError('fetch failed'); // what a dropped connection looks like
      }
      return recordingFetch(sent)(input, init);
    };
    const flakyLayer = layer([60, 61], 3);
    const id = await publish({ layer: flakyLayer, parentId: null, fetch: flaky });
    expect(failedOnce).toBe(true);
    expect(chunksSent(sent)).toBe(2);
    expect((await openPublishedLayer(id, { baseUrl })).sectorMap).toEqual(flakyLayer.sectorMap);
  });

  it('refuses a descriptor or a body altered on the way', async () => {
    const flipAt = (match: string, byteIndex: number): typeof fetch => async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith(match)) return response;
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length > byteIndex) bytes[byteIndex] = bytes[byteIndex]! ^ 1;
      return new Response(bytes, { status: response.status, headers: response.headers });
    };
    await expect(openPublishedLayer(baseId, { baseUrl, fetch: flipAt('/layer.json', 20) })).rejects.toThrow(
      new RegExp(`hashes to [0-9a-f]{64}, not to the layer id ${baseId}: the server or a proxy altered it`),
    );
    // The index chunk altered: the RangeSource refuses it against the chunk table (after its retries).
    await expect(openPublishedLayer(baseId, { baseUrl, fetch: flipAt('/body', 5) })).rejects.toThrow(/Chunk 0 of .* did not match the sha-256 in the image's chunk table/);
    await expect(openPublishedLayer('xyz', { baseUrl })).rejects.toThrow('"xyz" is not a layer id');
    await expect(openPublishedLayer('f'.repeat(64), { baseUrl })).rejects.toThrow(`Layer ${'f'.repeat(64)} is not published at`);
  });

  it('refetches a descriptor that fails its hash past every cache (a bad copy kept cache-first would stick)', async () => {
    const reloads: string[] = [];
    const flipUnlessReload: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/layer.json')) return response;
      if (init?.cache === 'reload') {
        reloads.push(String(input));
        return response;
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[20] = bytes[20]! ^ 1;
      return new Response(bytes, { status: response.status, headers: response.headers });
    };
    expect((await openPublishedLayer(baseId, { baseUrl, fetch: flipUnlessReload })).sectorMap).toEqual(baseLayer.sectorMap);
    expect(reloads).toEqual([`${baseUrl}/layers/${baseId}/layer.json`]);
  });

  it('reads the body through a persistent chunk cache: opened again with the body unreachable, it reads the same blocks', async () => {
    const store = new MemoryRootChunkStore();
    const bodyCache = () => store.forSource(layerChunkKey({ id: baseId, chunkSizeBytes: CHUNK }));
    const first = await openPublishedLayer(baseId, { baseUrl, bodyChunkCache: await bodyCache() });
    const blocks = await first.readBlocks(range(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the cache is written after the reads are answered
    expect(await store.usage()).toMatchObject({ imageCount: 0, layerCount: 1 });
    expect((await store.usage()).chunkCount).toBe(first.body!.counters.rootCacheWrites);

    const bodyUnreachable: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/body')) throw new TypeError('fetch failed (this test cuts the body off)');
      return fetch(input, init);
    };
    const again = await openPublishedLayer(baseId, { baseUrl, fetch: bodyUnreachable, bodyChunkCache: await bodyCache() });
    expect(again.sectorMap).toEqual(baseLayer.sectorMap);
    const cachedBlocks = await again.readBlocks(range(0, 10));
    for (const blockIndex of range(0, 10)) expect(Buffer.from(cachedBlocks.get(blockIndex)!).equals(Buffer.from(blocks.get(blockIndex)!))).toBe(true);
    expect(again.body!.counters).toMatchObject({ bytesFetched: 0, requests: 0, rootCacheCorruptChunks: 0 });
    expect(again.body!.counters.rootCacheHits).toBeGreaterThan(0);

    // A stored chunk damaged in the browser's storage fails the layer's chunk table on the way out and is fetched again.
    store.damage(layerChunkKey({ id: baseId, chunkSizeBytes: CHUNK }), 0);
    const repaired = await openPublishedLayer(baseId, { baseUrl, bodyChunkCache: await bodyCache() });
    expect(repaired.sectorMap).toEqual(baseLayer.sectorMap);
    expect(repaired.body!.counters.rootCacheCorruptChunks).toBe(1);
    expect(repaired.body!.counters.bytesFetched).toBe(CHUNK);
  });

  it('serves the body with Range, a strong ETag and immutable caching', async () => {
    const body = await canonicalBody(baseLayer);
    const url = `${baseUrl}/layers/${baseId}/body`;
    const partial = await fetch(url, { headers: { Range: 'bytes=100-70000' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 100-70000/${body.length}`);
    expect(partial.headers.get('etag')).toBe(`"${baseId}"`);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=31536000, immutable, no-transform');
    expect(Buffer.from(await partial.arrayBuffer()).equals(Buffer.from(body.subarray(100, 70001)))).toBe(true);
    const whole = await fetch(url);
    expect([whole.status, whole.headers.get('content-length'), whole.headers.get('accept-ranges')]).toEqual([200, String(body.length), 'bytes']);
    expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(body))).toBe(true);
    expect((await fetch(url, { headers: { 'If-None-Match': `"${baseId}"` } })).status).toBe(304);
    const stale = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': '"other"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    const beyond = await fetch(url, { headers: { Range: `bytes=${body.length}-` } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${body.length}`]);
    const head = await fetch(url, { method: 'HEAD', headers: { Range: 'bytes=-10' } });
    expect([head.status, head.headers.get('content-length'), head.headers.get('content-range')]).toEqual([206, '10', `bytes ${body.length - 10}-${body.length - 1}/${body.length}`]);
    const table = Buffer.from(await (await fetch(`${baseUrl}/layers/${baseId}/chunks.sha256`)).arrayBuffer());
    expect(table.equals(Buffer.from((await uploadOfLayer(baseLayer, null)).chunkTable))).toBe(true);
    expect((await fetch(`${baseUrl}/layers/${'f'.repeat(64)}/body`)).status).toBe(404);
    const malformed = await fetch(`${baseUrl}/layers/..%2f..%2fetc/body`);
    expect([malformed.status, await malformed.text()]).toEqual([400, '"..%2f..%2fetc" is not a layer id (64 lower-case hex digits).']);
    expect((await fetch(`${baseUrl}/layers/${baseId}/other`)).status).toBe(404);
    expect((await fetch(url, { method: 'PUT' })).status).toBe(405);
  });
});
