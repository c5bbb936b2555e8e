/**
 * Publishes a frozen layer to the lab server (issue #10, "Publish and share"), in the browser or
 * in Node (it only needs fetch and sha-256):
 *
 *   1. stream the canonical body once, hashing each 64 KiB chunk into the chunk table;
 *   2. build the descriptor (root, parent, geometry, the table's digest): its sha-256 is the id;
 *   3. PUT /api/layers/<id>: the server checks it and answers which chunks it lacks;
 *   4. stream the body again and PUT only those chunks, in runs of up to 64;
 *   5. POST /api/layers/<id>/commit: the server checks the whole body and publishes it.
 *
 * Running it again after a crash or a lost connection sends only what the server still lacks;
 * chunks the store already holds (from this or any other layer) are never sent.
 */
import type { FrozenLayer } from '../disk/frozen-layer';
import type { RootIdentity } from '../disk/leaf-store';
import { sha256, toHex } from '../disk/sha256';
import { CHUNK_DIGEST_BYTES, chunkCountOf } from '../images/chunk-table';
import { layerBodyChunks } from './layer-body';
import { bodyGeometry } from './layer-body-geometry';
import { encodeDescriptor, LAYER_CHUNK_SIZE_BYTES, LAYER_FORMAT, LAYER_FORMAT_VERSION, LAYER_ID_PATTERN, type LayerDescriptor } from './layer-format';
import { layerApiRequest, LayerPublishError, type LayerHttpOptions } from './layer-http';
import { canonicalBlockIndices } from './layer-index';
import { layerIdOf } from './layer-id';

export { LayerPublishError } from './layer-http';

/** Chunks per upload request (the server takes up to 64). */
const CHUNKS_PER_REQUEST = 64;

export interface PublishProgress {
  phase: 'hashing' | 'uploading' | 'committing' | 'published';
  /** Body bytes hashed or sent so far in this phase. */
  doneBytes: number;
  /** Body bytes this phase handles (hashing: the whole body; uploading: what the server lacks). */
  totalBytes: number;
}

export interface PublishLayerOptions {
  layer: FrozenLayer;
  /** The published layer directly below, or null when the layer lies on the root. */
  parentId: string | null;
  root: RootIdentity;
  /** The lab server's origin (and base path), e.g. "https://lab.example" or location.origin. */
  serverUrl: string;
  onProgress?: (progress: PublishProgress) => void;
  signal?: AbortSignal;
  /** Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Retries of a request after a network error or 5xx. Default 3. */
  maxRetries?: number;
  /** First retry delay, doubling per retry. Default 500. */
  retryBaseDelayMs?: number;
}

interface StartReply {
  id: string;
  state: 'uploading' | 'published';
  missingChunks: number[];
}

function sameRoot(a: RootIdentity, b: RootIdentity): boolean {
  return a.id === b.id && a.sha256 === b.sha256 && a.sizeBytes === b.sizeBytes;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Publishes `layer` and resolves to its layer id (also when the server already had it). */
export async function publishLayer(options: PublishLayerOptions): Promise<string> {
  const { layer, parentId, root, signal } = options;
  if (!sameRoot(layer.root, root))
    throw new LayerPublishError(`Layer ${layer.id} was made on root ${layer.root.id} (sha256 ${layer.root.sha256}), not on ${root.id} (sha256 ${root.sha256}).`);
  if (parentId !== null && !LAYER_ID_PATTERN.test(parentId)) throw new LayerPublishError(`The parent "${parentId}" is not a published layer id.`);
  const fetchFn = (options.fetch ?? globalThis.fetch).bind(globalThis);
  const http: LayerHttpOptions = { fetch: fetchFn, signal, maxRetries: options.maxRetries ?? 3, retryBaseDelayMs: options.retryBaseDelayMs ?? 500 };
  const apiBase = `${options.serverUrl.replace(/\/+$/, '')}/api/layers/`;
  const progress = options.onProgress ?? (() => undefined);

  const blockIndices = canonicalBlockIndices(layer.sectorMap);
  const bodySizeBytes = bodyGeometry(layer.blockSizeBytes, blockIndices.length).bodySizeBytes;
  const chunkTable = new Uint8Array(chunkCountOf({ sizeBytes: bodySizeBytes, chunkSizeBytes: LAYER_CHUNK_SIZE_BYTES }) * CHUNK_DIGEST_BYTES);
  let hashedBytes = 0;
  let chunkIndex = 0;
  for await (const chunk of layerBodyChunks(layer, blockIndices, { signal })) {
    chunkTable.set(await sha256(chunk), chunkIndex * CHUNK_DIGEST_BYTES);
    chunkIndex += 1;
    hashedBytes += chunk.length;
    progress({ phase: 'hashing', doneBytes: hashedBytes, totalBytes: bodySizeBytes });
  }
  const descriptor: LayerDescriptor = {
    format: LAYER_FORMAT,
    version: LAYER_FORMAT_VERSION,
    root: { id: root.id, sizeBytes: root.sizeBytes, sha256: root.sha256 },
    parent: parentId,
    blockSizeBytes: layer.blockSizeBytes,
    blockCount: blockIndices.length,
    body: { sizeBytes: bodySizeBytes, chunkSizeBytes: LAYER_CHUNK_SIZE_BYTES, chunkDigestsSha256: toHex(await sha256(chunkTable)) },
  };
  const descriptorBytes = encodeDescriptor(descriptor);
  const id = await layerIdOf(descriptorBytes);

  const started = await layerApiRequest<StartReply>(
    apiBase + id,
    { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ descriptor: new TextDecoder().decode(descriptorBytes), chunkTable: base64(chunkTable) }) },
    `Starting the upload of layer ${id}`,
    http,
  );
  if (started.state !== 'published') {
    await uploadMissingChunks(layer, blockIndices, chunkTable, new Set(started.missingChunks), apiBase + id, http, progress);
    progress({ phase: 'committing', doneBytes: 0, totalBytes: 0 });
    await layerApiRequest(apiBase + `${id}/commit`, { method: 'POST' }, `Publishing layer ${id}`, http);
  }
  progress({ phase: 'published', doneBytes: bodySizeBytes, totalBytes: bodySizeBytes });
  return id;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function uploadMissingChunks(
  layer: FrozenLayer,
  blockIndices: readonly number[],
  chunkTable: Uint8Array,
  missing: ReadonlySet<number>,
  layerUrl: string,
  http: LayerHttpOptions,
  progress: (progress: PublishProgress) => void,
): Promise<void> {
  if (missing.size === 0) return;
  const totalBytes = missing.size * LAYER_CHUNK_SIZE_BYTES; // an estimate: the last chunk may be short
  let sentBytes = 0;
  let run: { firstChunkIndex: number; chunks: Uint8Array[] } | undefined;
  const send = async () => {
    if (!run) return;
    const body = new Uint8Array(run.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of run.chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    const last = run.firstChunkIndex + run.chunks.length - 1;
    await layerApiRequest(`${layerUrl}/chunks/${run.firstChunkIndex}`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body }, `Uploading chunks ${run.firstChunkIndex}..${last}`, http);
    sentBytes += body.length;
    progress({ phase: 'uploading', doneBytes: sentBytes, totalBytes: Math.max(totalBytes, sentBytes) });
    run = undefined;
  };
  let chunkIndex = 0;
  for await (const chunk of layerBodyChunks(layer, blockIndices, { signal: http.signal })) {
    if (missing.has(chunkIndex)) {
      // The layer is frozen: its second reading must give the bytes hashed in the first.
      if (!sameBytes(await sha256(chunk), chunkTable.subarray(chunkIndex * CHUNK_DIGEST_BYTES, (chunkIndex + 1) * CHUNK_DIGEST_BYTES)))
        throw new LayerPublishError(`Layer ${layer.id} changed while it was being published (chunk ${chunkIndex} reads differently); nothing was published.`);
      if (run && run.firstChunkIndex + run.chunks.length !== chunkIndex) await send();
      run ??= { firstChunkIndex: chunkIndex, chunks: [] };
      run.chunks.push(chunk);
      if (run.chunks.length === CHUNKS_PER_REQUEST) await send();
    }
    chunkIndex += 1;
  }
  await send();
}
