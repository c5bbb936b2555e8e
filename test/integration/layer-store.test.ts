/**
 * One suite for the layer store, run against both backends: a directory, and S3 through a local
 * S3-protocol server (s3rver) started here. Everything about layers is built on the ObjectStore
 * contract, and this suite proves that both backends keep it the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootIdentity } from '../../lib/disk/leaf-store';
import { bodyGeometry } from '../../lib/layers/layer-body-geometry';
import { DirectoryObjectStore } from '../../lib/server/layers/directory-object-store';
import { LayerStoreError } from '../../lib/server/layers/layer-store-error';
import { LayerStore } from '../../lib/server/layers/layer-store';
import type { ObjectStore } from '../../lib/server/layers/object-store';
import { S3ObjectStore } from '../../lib/server/layers/s3-object-store';
import { canonicalBody, uploadOf, uploadOfLayer, type UploadFixture } from '../support/layer-upload-fixture';
import { memoryFrozenLayer, seededBlocks } from '../support/memory-frozen-layer';
import { S3_TEST_CREDENTIALS, S3TestServer } from '../support/s3-test-server';

const BLOCK = 32768;
const ROOT: RootIdentity = { id: 'img', sizeBytes: 8 * 1024 * 1024, sha256: 'a'.repeat(64) };
const OTHER_ROOT: RootIdentity = { id: 'img2', sizeBytes: 8 * 1024 * 1024, sha256: 'b'.repeat(64) };
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const rootCheck = (root: RootIdentity) =>
  [ROOT, OTHER_ROOT].some((known) => known.id === root.id && known.sha256 === root.sha256 && known.sizeBytes === root.sizeBytes)
    ? undefined
    : `The root image "${root.id}" is not in this server's catalog.`;

function layer(blockIndices: number[], seed = 1, root = ROOT, blockSizeBytes = BLOCK) {
  return memoryFrozenLayer(`cp-${seed}`, root, blockSizeBytes, seededBlocks(blockIndices, blockSizeBytes, seed));
}

async function uploadAll(store: LayerStore, upload: UploadFixture): Promise<void> {
  const started = await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable);
  for (const chunkIndex of started.missingChunks) await store.storeChunks(upload.id, chunkIndex, upload.chunks[chunkIndex]!);
  await store.commit(upload.id);
}

async function refusal(promise: Promise<unknown>): Promise<LayerStoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LayerStoreError);
  return error as LayerStoreError;
}

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-layer-store-'));
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await S3TestServer.start(3318);
});
afterAll(async () => {
  await s3?.stop();
  rmSync(work, { recursive: true, force: true });
});

let storeCount = 0;
const backends: Array<[string, () => ObjectStore]> = [
  ['directory', () => new DirectoryObjectStore(path.join(work, `store-${++storeCount}`))],
  [
    's3',
    () =>
      new S3ObjectStore({ bucket: s3.bucket, keyPrefix: `run-${++storeCount}/`, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_TEST_CREDENTIALS }),
  ],
];

describe.each(backends)('layer store on the %s backend', (_, makeObjects) => {
  let objects: ObjectStore;
  let store: LayerStore;
  beforeAll(() => {
    objects = makeObjects();
    store = new LayerStore(objects, MAX_BODY_BYTES, rootCheck);
  });

  it('answers every chunk missing, stores what comes, and publishes on commit', async () => {
    const upload = await uploadOfLayer(layer([1, 2, 3, 50]), null);
    const started = await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable);
    expect(started).toEqual({ state: 'uploading', missingChunks: [0, 1, 2] });
    expect(await store.published(upload.id)).toBeUndefined();
    expect(await store.storeChunks(upload.id, 0, Buffer.concat(upload.chunks.slice(0, 2)))).toEqual({ stored: 2, skipped: 0 });
    // Resuming: asking again lists only what is still missing.
    expect((await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable)).missingChunks).toEqual([2]);
    expect(await store.storeChunks(upload.id, 0, upload.chunks[0]!)).toEqual({ stored: 0, skipped: 1 });
    await store.storeChunks(upload.id, 2, upload.chunks[2]!);
    await store.commit(upload.id);
    const published = await store.published(upload.id);
    expect(Buffer.from(published!.descriptorBytes).equals(Buffer.from(upload.descriptorBytes))).toBe(true);
    expect(Buffer.from(published!.chunkTable).equals(Buffer.from(upload.chunkTable))).toBe(true);
    for (let chunkIndex = 0; chunkIndex < 3; chunkIndex += 1)
      expect(Buffer.from(await store.bodyChunk(published!, chunkIndex)).equals(Buffer.from(upload.chunks[chunkIndex]!))).toBe(true);
    expect(await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable)).toEqual({ state: 'published', missingChunks: [] });
  });

  it('stores identical chunks once, across layers', async () => {
    const base = await uploadOfLayer(layer([10, 11, 12, 13], 7), null);
    await uploadAll(store, base);
    const chunksBefore = (await objects.list('chunks/')).length;
    // Same blocks at the same places plus two more: only its index chunk and one new data chunk are new.
    const grown = await uploadOfLayer(layer([10, 11, 12, 13, 20, 21], 7), null);
    const started = await store.startUpload(grown.id, grown.descriptorBytes, grown.chunkTable);
    expect(started.missingChunks).toEqual([0, 3]);
    await uploadAll(store, grown);
    expect((await objects.list('chunks/')).length).toBe(chunksBefore + 2);
  });

  it('describes a chain bottom to top, and tells unknown from malformed ids', async () => {
    const bottom = await uploadOfLayer(layer([5], 21), null);
    await uploadAll(store, bottom);
    const middle = await uploadOfLayer(layer([6], 22), bottom.id);
    await uploadAll(store, middle);
    const top = await uploadOfLayer(layer([5, 7], 23), middle.id);
    await uploadAll(store, top);
    const lookup = await store.describePublishedLayer(top.id);
    expect(lookup.kind === 'ok' && lookup.chain).toEqual([bottom.id, middle.id, top.id]);
    expect(lookup.kind === 'ok' && lookup.descriptor.parent).toBe(middle.id);
    expect(await store.describePublishedLayer('f'.repeat(64))).toEqual({ kind: 'unknown' });
    expect(await store.describePublishedLayer('not-an-id')).toEqual({ kind: 'malformed' });
    expect(await store.describePublishedLayer('A'.repeat(64))).toEqual({ kind: 'malformed' });
  });

  it('publishes an empty layer', async () => {
    const empty = await uploadOfLayer(layer([]), null);
    await uploadAll(store, empty);
    expect((await store.published(empty.id))?.descriptor.blockCount).toBe(0);
  });

  describe('refusals, with nothing published', () => {
    async function expectNotPublished(id: string) {
      expect(await store.published(id)).toBeUndefined();
      expect((await objects.list('layers/')).includes(`layers/${id}.json`)).toBe(false);
    }

    it('a descriptor that does not hash to the id', async () => {
      const upload = await uploadOfLayer(layer([1], 31), null);
      const error = await refusal(store.startUpload('e'.repeat(64), upload.descriptorBytes, upload.chunkTable));
      expect([error.status, error.message]).toEqual([400, `The descriptor hashes to ${upload.id}, not to the layer id ${'e'.repeat(64)} it was sent under.`]);
      await expectNotPublished('e'.repeat(64));
    });

    it('a malformed id', async () => {
      const error = await refusal(store.startUpload('../../etc', new Uint8Array(1), new Uint8Array(0)));
      expect([error.status, error.message]).toEqual([400, '"../../etc" is not a layer id (64 lower-case hex digits).']);
    });

    it('a chunk table that does not match the descriptor', async () => {
      const upload = await uploadOfLayer(layer([1], 32), null);
      const table = upload.chunkTable.slice();
      table[0] = table[0]! ^ 1;
      const error = await refusal(store.startUpload(upload.id, upload.descriptorBytes, table));
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^The chunk table hashes to [0-9a-f]{64}, but the descriptor names/);
      const short = await refusal(store.startUpload(upload.id, upload.descriptorBytes, table.subarray(32)));
      expect(short.message).toContain('The chunk table does not fit the descriptor');
      await expectNotPublished(upload.id);
    });

    it('a chunk that does not match its digest', async () => {
      const upload = await uploadOfLayer(layer([1, 2, 3], 33), null);
      await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable);
      const bad = upload.chunks[1]!.slice();
      bad[7] = bad[7]! ^ 0xff;
      const error = await refusal(store.storeChunks(upload.id, 0, Buffer.concat([upload.chunks[0]!, bad])));
      expect([error.status, error.message]).toEqual([400, 'Chunk 1 does not match its sha-256 in the chunk table; nothing of this request was stored.']);
      // Nothing of the request was stored, not even the good chunk 0.
      expect((await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable)).missingChunks).toEqual([0, 1, 2]);
      const commit = await refusal(store.commit(upload.id));
      expect([commit.status, commit.message]).toEqual([409, 'The body still lacks 3 of its 3 chunks (first: chunk 0); upload them, then commit again.']);
      await expectNotPublished(upload.id);
    });

    it('chunks of an upload that was never started, and runs of the wrong length', async () => {
      const upload = await uploadOfLayer(layer([1, 2, 3], 34), null);
      const error = await refusal(store.storeChunks(upload.id, 0, upload.chunks[0]!));
      expect([error.status, error.message]).toEqual([409, `No upload of layer ${upload.id} was started: PUT /api/layers/${upload.id} with its descriptor and chunk table first.`]);
      await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable);
      expect((await refusal(store.storeChunks(upload.id, 0, upload.chunks[0]!.subarray(1)))).message).toBe('Chunks 0..0 are 65536 bytes of the body, but 65535 bytes came.');
      expect((await refusal(store.storeChunks(upload.id, 3, upload.chunks[0]!))).message).toBe("Chunk 3 is outside the body's 3 chunks.");
      expect((await refusal(store.storeChunks(upload.id, 2, upload.chunks[0]!))).message).toBe('Chunks 2..2 are 32768 bytes of the body, but 65536 bytes came.');
    });

    it('an unknown parent, a parent on another root, a parent with another block size', async () => {
      const orphan = await uploadOfLayer(layer([1], 35), 'c'.repeat(64));
      const unknown = await refusal(store.startUpload(orphan.id, orphan.descriptorBytes, orphan.chunkTable));
      expect([unknown.status, unknown.message]).toEqual([404, `The parent layer ${'c'.repeat(64)} is not published on this server; publish it first.`]);
      const foreignParent = await uploadOfLayer(layer([1], 36, OTHER_ROOT), null);
      await uploadAll(store, foreignParent);
      const child = await uploadOfLayer(layer([2], 37), foreignParent.id);
      const other = await refusal(store.startUpload(child.id, child.descriptorBytes, child.chunkTable));
      expect([other.status, other.message]).toEqual([
        409,
        `The parent layer ${foreignParent.id} was made on root img2 (sha256 ${'b'.repeat(64)}), not on img (sha256 ${'a'.repeat(64)}).`,
      ]);
      const smallBlocks = await uploadOfLayer(layer([2], 38, ROOT, 4096), (await uploadAllReturning(await uploadOfLayer(layer([3], 39), null))).id);
      const blockSize = await refusal(store.startUpload(smallBlocks.id, smallBlocks.descriptorBytes, smallBlocks.chunkTable));
      expect([blockSize.status, blockSize.message]).toEqual([409, 'The parent layer has 32768-byte blocks, this one 4096-byte blocks; a chain has one block size.']);
      for (const id of [orphan.id, child.id, smallBlocks.id]) await expectNotPublished(id);
    });
    async function uploadAllReturning(upload: UploadFixture) {
      await uploadAll(store, upload);
      return upload;
    }

    it('an unknown root', async () => {
      const upload = await uploadOfLayer(layer([1], 40, { ...ROOT, sha256: 'd'.repeat(64) }), null);
      const error = await refusal(store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable));
      expect([error.status, error.message]).toEqual([404, `The root image "img" is not in this server's catalog.`]);
      await expectNotPublished(upload.id);
    });

    it('a body over the size limit', async () => {
      const blocks = Array.from({ length: 100 }, (_, i) => i);
      const upload = await uploadOfLayer(layer(blocks, 41), null);
      const error = await refusal(store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable));
      expect([error.status, error.message]).toEqual([413, `The layer's body is ${bodyGeometry(BLOCK, 100).bodySizeBytes} bytes; this server takes layers up to ${MAX_BODY_BYTES} bytes (LEAFLAB_LAYER_MAX_BYTES).`]);
      await expectNotPublished(upload.id);
    });

    it('a malformed index (found at commit)', async () => {
      const source = layer([1, 2], 42);
      const body = await canonicalBody(source);
      // Swap the two index entries (12 bytes each): descending block indices.
      const swapped = body.slice();
      swapped.set(body.subarray(12, 24), 0);
      swapped.set(body.subarray(0, 12), 12);
      const upload = uploadOf(swapped, { root: ROOT, parent: null, blockSizeBytes: BLOCK, blockCount: 2 });
      await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable);
      for (let i = 0; i < upload.chunks.length; i += 1) await store.storeChunks(upload.id, i, upload.chunks[i]!);
      const error = await refusal(store.commit(upload.id));
      expect([error.status, error.message]).toEqual([400, 'Layer index: entry 1 names block 1 after block 2; entries must ascend strictly; the layer was not published.']);
      await expectNotPublished(upload.id);
    });

    it('a non-zero byte in a sector the bitmap does not mark (found at commit)', async () => {
      const source = layer([4], 43); // block 4: sectors (7s + 4) % 5 < 2 and sector 4 marked; sector 0 is not
      expect(source.sectorMap.get(4)![0]! & 1).toBe(0);
      const body = await canonicalBody(source);
      body[65536 + 3] = 9;
      const upload = uploadOf(body, { root: ROOT, parent: null, blockSizeBytes: BLOCK, blockCount: 1 });
      await store.startUpload(upload.id, upload.descriptorBytes, upload.chunkTable);
      for (let i = 0; i < upload.chunks.length; i += 1) await store.storeChunks(upload.id, i, upload.chunks[i]!);
      const error = await refusal(store.commit(upload.id));
      expect([error.status, error.message]).toEqual([400, 'Block 4 has non-zero bytes in sector 0, which its bitmap does not mark; a canonical body zeroes them. The layer was not published.']);
      await expectNotPublished(upload.id);
    });
  });
});
