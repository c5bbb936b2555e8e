/**
 * Published layers over an ObjectStore (a directory or S3), content-addressed:
 *
 *   chunks/<sha256>          a body chunk, stored once however many layers hold it
 *   tables/<sha256>          a body's chunk table, named by its own digest
 *   uploads/<layer id>.json  the descriptor of an upload that was started
 *   layers/<layer id>.json   the descriptor of a published layer; written last, by commit, so a
 *                            layer is published all at once or not at all
 *
 * Nothing is stored before it is checked: the descriptor against the id, the table against the
 * descriptor, every chunk against the table. Commit reads the whole body once more and checks
 * the index and the zero bytes of unmarked sectors before it publishes.
 */
import { createHash } from 'node:crypto';
import { hasSector } from '../../disk/sector-bitmap';
import { CHUNK_DIGEST_BYTES, chunkByteRange, chunkCountOf, chunkDigestIn, chunkTableLengthProblem } from '../../images/chunk-table';
import { SECTOR_SIZE_BYTES } from '../../images/manifest';
import type { RootIdentity } from '../../disk/leaf-store';
import { bodyGeometry } from '../../layers/layer-body-geometry';
import { LAYER_CHUNK_SIZE_BYTES, LAYER_ID_PATTERN, LayerFormatError, parseDescriptor, type LayerDescriptor } from '../../layers/layer-format';
import { parseIndexArea } from '../../layers/layer-index';
import { LayerStoreError } from './layer-store-error';
import type { ObjectStore } from './object-store';

/** At most this many chunks in one upload request (4 MiB). */
export const MAX_CHUNKS_PER_REQUEST = 64;
/** Default LEAFLAB_LAYER_MAX_BYTES: the largest body a layer may have. */
export const DEFAULT_MAX_LAYER_BYTES = 1024 * 1024 * 1024;
/** Concurrent object reads when checking which chunks exist. */
const LOOKUP_CONCURRENCY = 16;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Says why this root cannot carry layers here (unknown, or other content under that id), or undefined. */
export type RootCheck = (root: RootIdentity) => string | undefined;

export interface PublishedLayer {
  id: string;
  descriptor: LayerDescriptor;
  descriptorBytes: Uint8Array;
  chunkTable: Uint8Array;
}

export type UploadState = { state: 'published' | 'uploading'; missingChunks: number[] };

export type PublishedLayerLookup =
  | { kind: 'ok'; descriptor: LayerDescriptor; chain: string[] }
  | { kind: 'malformed' }
  | { kind: 'unknown' };

const keys = {
  chunk: (digestHex: string) => `chunks/${digestHex}`,
  table: (digestHex: string) => `tables/${digestHex}`,
  upload: (id: string) => `uploads/${id}.json`,
  published: (id: string) => `layers/${id}.json`,
};

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class LayerStore {
  /** Published layers never change: kept once read (descriptor and table are small). */
  private readonly publishedCache = new Map<string, PublishedLayer>();

  constructor(
    readonly objects: ObjectStore,
    readonly maxBodyBytes: number,
    private readonly rootCheck: RootCheck,
  ) {}

  static assertLayerId(id: string): void {
    if (!LAYER_ID_PATTERN.test(id)) throw new LayerStoreError(400, `"${id.slice(0, 80)}" is not a layer id (64 lower-case hex digits).`);
  }

  /** A published layer, or undefined (an id that is not published, or only being uploaded). */
  async published(id: string): Promise<PublishedLayer | undefined> {
    LayerStore.assertLayerId(id);
    const cached = this.publishedCache.get(id);
    if (cached) return cached;
    const descriptorBytes = await this.objects.get(keys.published(id));
    if (!descriptorBytes) return undefined;
    // Checked again on the way out: a store is not trusted to have kept the bytes (invariant 5).
    if (sha256Hex(descriptorBytes) !== id) throw new Error(`the stored descriptor of layer ${id} does not hash to its id; the store is damaged`);
    const descriptor = parseDescriptor(descriptorBytes);
    const chunkTable = await this.objects.get(keys.table(descriptor.body.chunkDigestsSha256));
    if (!chunkTable || sha256Hex(chunkTable) !== descriptor.body.chunkDigestsSha256)
      throw new Error(`the chunk table of layer ${id} is missing or damaged in the store`);
    const layer = { id, descriptor, descriptorBytes, chunkTable };
    this.publishedCache.set(id, layer);
    return layer;
  }

  /** The lab page's question: is this a published layer, and what chain does it stand on (bottom → top)? */
  async describePublishedLayer(id: string): Promise<PublishedLayerLookup> {
    if (!LAYER_ID_PATTERN.test(id)) return { kind: 'malformed' };
    const top = await this.published(id);
    if (!top) return { kind: 'unknown' };
    const chain = [id];
    for (let parent = top.descriptor.parent; parent !== null; ) {
      const layer = await this.published(parent);
      // A parent is published before any child can be (startUpload and commit check it).
      if (!layer) throw new Error(`layer ${chain[0]} names parent ${parent}, which the store does not hold; the store is damaged`);
      chain.unshift(parent);
      parent = layer.descriptor.parent;
    }
    return { kind: 'ok', descriptor: top.descriptor, chain };
  }

  /**
   * Starts (or resumes) an upload: checks the descriptor against the id, the table against the
   * descriptor, the size limit, the root and the parent; stores descriptor and table; answers
   * which chunks the store still lacks.
   */
  async startUpload(id: string, descriptorBytes: Uint8Array, chunkTable: Uint8Array): Promise<UploadState> {
    LayerStore.assertLayerId(id);
    const actualId = sha256Hex(descriptorBytes);
    if (actualId !== id) throw new LayerStoreError(400, `The descriptor hashes to ${actualId}, not to the layer id ${id} it was sent under.`);
    const descriptor = this.parse(descriptorBytes);
    const lengthProblem = chunkTableLengthProblem(chunkTable, descriptor.body);
    if (lengthProblem) throw new LayerStoreError(400, `The chunk table does not fit the descriptor: ${lengthProblem}.`);
    const tableDigest = sha256Hex(chunkTable);
    if (tableDigest !== descriptor.body.chunkDigestsSha256)
      throw new LayerStoreError(400, `The chunk table hashes to ${tableDigest}, but the descriptor names ${descriptor.body.chunkDigestsSha256}.`);
    if (await this.published(id)) return { state: 'published', missingChunks: [] };
    await this.checkPlacement(descriptor);
    await this.objects.put(keys.table(tableDigest), chunkTable);
    await this.objects.put(keys.upload(id), descriptorBytes);
    return { state: 'uploading', missingChunks: await this.missingChunks(chunkTable) };
  }

  /**
   * Stores a run of whole chunks from `firstChunkIndex` (the last body chunk may be short).
   * Every chunk is checked against the table before any is stored; chunks already stored are skipped.
   */
  async storeChunks(id: string, firstChunkIndex: number, bytes: Uint8Array): Promise<{ stored: number; skipped: number }> {
    const upload = await this.upload(id);
    const geometry = upload.descriptor.body;
    const chunkCount = chunkCountOf(geometry);
    if (!Number.isSafeInteger(firstChunkIndex) || firstChunkIndex < 0 || firstChunkIndex >= chunkCount)
      throw new LayerStoreError(400, `Chunk ${firstChunkIndex} is outside the body's ${chunkCount} chunks.`);
    const runChunks = Math.ceil(bytes.length / LAYER_CHUNK_SIZE_BYTES);
    if (runChunks === 0 || runChunks > MAX_CHUNKS_PER_REQUEST)
      throw new LayerStoreError(400, `A chunk upload carries 1 to ${MAX_CHUNKS_PER_REQUEST} chunks; this one has ${bytes.length} bytes.`);
    const lastChunkIndex = firstChunkIndex + runChunks - 1;
    if (lastChunkIndex >= chunkCount) throw new LayerStoreError(400, `The upload runs past the body's last chunk (${chunkCount - 1}).`);
    const expectedBytes = chunkByteRange(geometry, lastChunkIndex).endBytes - firstChunkIndex * LAYER_CHUNK_SIZE_BYTES;
    if (bytes.length !== expectedBytes)
      throw new LayerStoreError(400, `Chunks ${firstChunkIndex}..${lastChunkIndex} are ${expectedBytes} bytes of the body, but ${bytes.length} bytes came.`);
    const pieces = Array.from({ length: runChunks }, (_, i) => {
      const chunkIndex = firstChunkIndex + i;
      const chunk = bytes.subarray(i * LAYER_CHUNK_SIZE_BYTES, (i + 1) * LAYER_CHUNK_SIZE_BYTES);
      const digestHex = hex(chunkDigestIn(upload.chunkTable, chunkIndex));
      if (sha256Hex(chunk) !== digestHex)
        throw new LayerStoreError(400, `Chunk ${chunkIndex} does not match its sha-256 in the chunk table; nothing of this request was stored.`);
      return { chunk, digestHex };
    });
    let stored = 0;
    await mapConcurrently(pieces, LOOKUP_CONCURRENCY, async ({ chunk, digestHex }) => {
      if (await this.objects.has(keys.chunk(digestHex))) return;
      await this.objects.put(keys.chunk(digestHex), chunk.slice());
      stored += 1;
    });
    return { stored, skipped: runChunks - stored };
  }

  /** Checks the whole body and publishes the layer; refuses (and publishes nothing) when anything is wrong. */
  async commit(id: string): Promise<void> {
    if (await this.published(id)) return;
    const { descriptor, descriptorBytes, chunkTable } = await this.upload(id);
    await this.checkPlacement(descriptor);
    const missing = await this.missingChunks(chunkTable);
    if (missing.length > 0)
      throw new LayerStoreError(409, `The body still lacks ${missing.length} of its ${chunkCountOf(descriptor.body)} chunks (first: chunk ${missing[0]}); upload them, then commit again.`);
    await this.checkBody(descriptor, chunkTable);
    await this.objects.put(keys.published(id), descriptorBytes);
  }

  /** One chunk of a published body, checked against its table before it is handed out. */
  async bodyChunk(layer: PublishedLayer, chunkIndex: number): Promise<Uint8Array> {
    const digestHex = hex(chunkDigestIn(layer.chunkTable, chunkIndex));
    const chunk = await this.objects.get(keys.chunk(digestHex));
    if (!chunk || sha256Hex(chunk) !== digestHex) throw new Error(`chunk ${chunkIndex} of layer ${layer.id} is missing or damaged in the store`);
    return chunk;
  }

  private parse(descriptorBytes: Uint8Array): LayerDescriptor {
    let descriptor: LayerDescriptor;
    try {
      descriptor = parseDescriptor(descriptorBytes);
    } catch (error) {
      if (error instanceof LayerFormatError) throw new LayerStoreError(400, error.message);
      throw error;
    }
    if (descriptor.body.sizeBytes > this.maxBodyBytes)
      throw new LayerStoreError(413, `The layer's body is ${descriptor.body.sizeBytes} bytes; this server takes layers up to ${this.maxBodyBytes} bytes (LEAFLAB_LAYER_MAX_BYTES).`);
    return descriptor;
  }

  private async checkPlacement(descriptor: LayerDescriptor): Promise<void> {
    const rootProblem = this.rootCheck(descriptor.root);
    if (rootProblem) throw new LayerStoreError(404, rootProblem);
    if (descriptor.parent === null) return;
    const parent = await this.published(descriptor.parent);
    if (!parent) throw new LayerStoreError(404, `The parent layer ${descriptor.parent} is not published on this server; publish it first.`);
    const parentRoot = parent.descriptor.root;
    if (parentRoot.id !== descriptor.root.id || parentRoot.sha256 !== descriptor.root.sha256 || parentRoot.sizeBytes !== descriptor.root.sizeBytes)
      throw new LayerStoreError(409, `The parent layer ${descriptor.parent} was made on root ${parentRoot.id} (sha256 ${parentRoot.sha256}), not on ${descriptor.root.id} (sha256 ${descriptor.root.sha256}).`);
    if (parent.descriptor.blockSizeBytes !== descriptor.blockSizeBytes)
      throw new LayerStoreError(409, `The parent layer has ${parent.descriptor.blockSizeBytes}-byte blocks, this one ${descriptor.blockSizeBytes}-byte blocks; a chain has one block size.`);
  }

  private async upload(id: string): Promise<{ descriptor: LayerDescriptor; descriptorBytes: Uint8Array; chunkTable: Uint8Array }> {
    LayerStore.assertLayerId(id);
    const descriptorBytes = await this.objects.get(keys.upload(id));
    if (!descriptorBytes) throw new LayerStoreError(409, `No upload of layer ${id} was started: PUT /api/layers/${id} with its descriptor and chunk table first.`);
    const descriptor = this.parse(descriptorBytes);
    const chunkTable = await this.objects.get(keys.table(descriptor.body.chunkDigestsSha256));
    if (!chunkTable || sha256Hex(chunkTable) !== descriptor.body.chunkDigestsSha256)
      throw new LayerStoreError(409, `The chunk table of the upload of layer ${id} is gone: PUT /api/layers/${id} again.`);
    return { descriptor, descriptorBytes, chunkTable };
  }

  private async missingChunks(chunkTable: Uint8Array): Promise<number[]> {
    const chunkCount = chunkTable.length / CHUNK_DIGEST_BYTES;
    const digests = Array.from({ length: chunkCount }, (_, i) => hex(chunkDigestIn(chunkTable, i)));
    const present = new Map<string, boolean>();
    await mapConcurrently([...new Set(digests)], LOOKUP_CONCURRENCY, async (digestHex) => present.set(digestHex, await this.objects.has(keys.chunk(digestHex))));
    return digests.flatMap((digestHex, chunkIndex) => (present.get(digestHex) ? [] : [chunkIndex]));
  }

  /** Reads the stored body chunk by chunk: index well-formed, padding zero, unmarked sectors zero. */
  private async checkBody(descriptor: LayerDescriptor, chunkTable: Uint8Array): Promise<void> {
    const geometry = bodyGeometry(descriptor.blockSizeBytes, descriptor.blockCount);
    const chunkCount = chunkCountOf(descriptor.body);
    const read = async (chunkIndex: number) => {
      const digestHex = hex(chunkDigestIn(chunkTable, chunkIndex));
      const chunk = await this.objects.get(keys.chunk(digestHex));
      if (!chunk || sha256Hex(chunk) !== digestHex) throw new LayerStoreError(409, `Chunk ${chunkIndex} is missing or damaged in the store; upload it again.`);
      return chunk;
    };
    const indexChunks = geometry.dataStartBytes / LAYER_CHUNK_SIZE_BYTES;
    const indexArea = new Uint8Array(geometry.dataStartBytes);
    for (let chunkIndex = 0; chunkIndex < indexChunks; chunkIndex += 1) indexArea.set(await read(chunkIndex), chunkIndex * LAYER_CHUNK_SIZE_BYTES);
    let parsed;
    try {
      parsed = parseIndexArea(indexArea, descriptor);
    } catch (error) {
      if (error instanceof LayerFormatError) throw new LayerStoreError(400, `${error.message}; the layer was not published.`);
      throw error;
    }
    const sectorsPerChunk = LAYER_CHUNK_SIZE_BYTES / SECTOR_SIZE_BYTES;
    for (let chunkIndex = indexChunks; chunkIndex < chunkCount; chunkIndex += 1) {
      const chunk = await read(chunkIndex);
      const firstDataSector = (chunkIndex - indexChunks) * sectorsPerChunk;
      for (let sector = 0; sector * SECTOR_SIZE_BYTES < chunk.length; sector += 1) {
        const dataSector = firstDataSector + sector;
        const ordinal = Math.floor(dataSector / geometry.sectorsPerBlock);
        const blockIndex = parsed.blockIndices[ordinal]!;
        if (hasSector(parsed.sectorMap.get(blockIndex)!, dataSector % geometry.sectorsPerBlock)) continue;
        const sectorBytes = chunk.subarray(sector * SECTOR_SIZE_BYTES, (sector + 1) * SECTOR_SIZE_BYTES);
        if (sectorBytes.some((byte) => byte !== 0))
          throw new LayerStoreError(400, `Block ${blockIndex} has non-zero bytes in sector ${dataSector % geometry.sectorsPerBlock}, which its bitmap does not mark; a canonical body zeroes them. The layer was not published.`);
      }
    }
  }
}
