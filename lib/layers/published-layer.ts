/**
 * A published layer read from a lab server (or any static host serving /layers/<id>/...), as a
 * FrozenLayer for the union device's chain. Nothing is trusted before it is checked: the
 * descriptor must hash to the id and be canonical, the chunk table must hash to the descriptor's
 * digest, and the body is read through a RangeSource, so every chunk is verified against that
 * table (with the root's readahead, cache and retries). The index is parsed and checked against
 * the descriptor and the root's size before the sector map is handed out.
 *
 * Given a persistent chunk cache (`bodyChunkCache`, the root's store under the layer's own key,
 * lib/lab/root-cache.ts), the body is read through it exactly as the root is: stored chunks are
 * checked against the layer's chunk table on the way out, fetched ones are kept. The descriptor
 * and the chunk table are small GETs that the lab's service worker keeps (lib/offline/sw-routes.ts),
 * so a layer opened once opens again with the server stopped.
 */
import type { FrozenLayer } from '../disk/frozen-layer';
import type { RootChunkCache } from '../disk/root-chunk-cache';
import { RangeSource } from '../disk/range-source';
import { sha256, toHex } from '../disk/sha256';
import { CHUNK_TABLE_FILE } from '../images/chunk-table';
import { bodyGeometry } from './layer-body-geometry';
import { LAYER_CHUNK_SIZE_BYTES, LAYER_ID_PATTERN, LayerFormatError, MAX_DESCRIPTOR_BYTES, parseDescriptor, type LayerDescriptor } from './layer-format';
import { parseIndexArea } from './layer-index';

export interface OpenPublishedLayerOptions {
  /** Where /layers/<id>/... is served: the lab server's origin, or a static host's base URL. */
  baseUrl: string;
  signal?: AbortSignal;
  /** Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** A persistent store of the body's chunks, asked before the network (see root-chunk-cache.ts). Default none. */
  bodyChunkCache?: RootChunkCache | undefined;
}

export interface PublishedFrozenLayer extends FrozenLayer {
  readonly kind: 'published';
  readonly descriptor: LayerDescriptor;
  /** The body's reader (counters for the UI and tests). */
  readonly body: RangeSource | undefined;
}

/** The URLs of a published layer's three files. */
export function publishedLayerUrls(baseUrl: string, id: string): { descriptor: string; chunkTable: string; body: string } {
  const folder = `${baseUrl.replace(/\/+$/, '')}/layers/${id}/`;
  return { descriptor: `${folder}layer.json`, chunkTable: folder + CHUNK_TABLE_FILE, body: `${folder}body` };
}

async function fetchDescriptorBytes(url: string, id: string, fetchFn: typeof globalThis.fetch, signal: AbortSignal | undefined, reload: boolean): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchFn(url, { signal: signal ?? null, ...(reload ? { cache: 'reload' as const } : {}) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new Error(`Cannot fetch layer ${id} from ${url}: ${(error as Error).message}`);
  }
  if (response.status === 404) throw new Error(`Layer ${id} is not published at ${url}.`);
  if (!response.ok) throw new Error(`Fetching layer ${id}'s descriptor from ${url} failed with HTTP ${response.status}.`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_DESCRIPTOR_BYTES) throw new LayerFormatError(`The descriptor at ${url} is ${bytes.length} bytes, too long to be a layer descriptor.`);
  return bytes;
}

/**
 * The descriptor, checked against the id. A copy that does not hash to the id is fetched once
 * more past every cache (the HTTP cache and the service worker's, which keeps descriptors
 * cache-first and would otherwise hand the same bad copy back on every open).
 */
async function fetchDescriptor(url: string, id: string, fetchFn: typeof globalThis.fetch, signal: AbortSignal | undefined): Promise<LayerDescriptor> {
  let actualId = '';
  for (const reload of [false, true]) {
    const bytes = await fetchDescriptorBytes(url, id, fetchFn, signal, reload);
    actualId = toHex(await sha256(bytes));
    if (actualId === id) return parseDescriptor(bytes);
  }
  throw new LayerFormatError(`The descriptor at ${url} hashes to ${actualId}, not to the layer id ${id}: the server or a proxy altered it.`);
}

/** Opens published layer `id`; rejects with a message naming what is wrong when any check fails. */
export async function openPublishedLayer(id: string, options: OpenPublishedLayerOptions): Promise<PublishedFrozenLayer> {
  if (!LAYER_ID_PATTERN.test(id)) throw new LayerFormatError(`"${id.slice(0, 80)}" is not a layer id (64 lower-case hex digits).`);
  const fetchFn = (options.fetch ?? globalThis.fetch).bind(globalThis);
  const urls = publishedLayerUrls(options.baseUrl, id);
  const descriptor = await fetchDescriptor(urls.descriptor, id, fetchFn, options.signal);
  const geometry = bodyGeometry(descriptor.blockSizeBytes, descriptor.blockCount);
  const body =
    descriptor.body.sizeBytes === 0
      ? undefined
      : new RangeSource({
          url: urls.body,
          sizeBytes: descriptor.body.sizeBytes,
          etag: `"${id}"`,
          chunkDigests: { url: urls.chunkTable, sha256: descriptor.body.chunkDigestsSha256 },
          chunkSizeBytes: LAYER_CHUNK_SIZE_BYTES,
          zeroChunks: [],
          fetch: fetchFn,
          rootChunkCache: options.bodyChunkCache,
        });
  // A plain read, not an inspection read: it goes through the persistent cache (and fills it),
  // so the index, which every open needs, is there when the layer opens again offline.
  const indexArea = body ? await body.read(0, geometry.dataStartBytes, options.signal) : new Uint8Array(0);
  const { blockIndices, sectorMap } = parseIndexArea(indexArea, descriptor);
  const ordinalOf = new Map(blockIndices.map((blockIndex, ordinal) => [blockIndex, ordinal]));
  const { blockSizeBytes } = descriptor;

  const readBlocks = async (wanted: readonly number[], signal?: AbortSignal): Promise<Map<number, Uint8Array>> => {
    const ordinals = [...new Set(wanted)].map((blockIndex) => {
      const ordinal = ordinalOf.get(blockIndex);
      if (ordinal === undefined) throw new RangeError(`Layer ${id} does not hold block ${blockIndex}`);
      return ordinal;
    });
    ordinals.sort((a, b) => a - b);
    const blocks = new Map<number, Uint8Array>();
    // Neighbouring blocks are one read, so a run of blocks is one range request.
    for (let start = 0; start < ordinals.length; ) {
      let end = start + 1;
      while (end < ordinals.length && ordinals[end] === ordinals[end - 1]! + 1) end += 1;
      const first = ordinals[start]!;
      const bytes = await body!.read(geometry.dataStartBytes + first * blockSizeBytes, (end - start) * blockSizeBytes, signal);
      for (let i = 0; i < end - start; i += 1) blocks.set(blockIndices[first + i]!, bytes.slice(i * blockSizeBytes, (i + 1) * blockSizeBytes));
      start = end;
    }
    return blocks;
  };

  return {
    id,
    kind: 'published',
    parentId: descriptor.parent ?? undefined,
    root: descriptor.root,
    blockSizeBytes,
    sectorMap,
    descriptor,
    body,
    readBlocks,
    close: () => undefined, // a RangeSource holds no resources beyond its cache, which goes with it
  };
}
