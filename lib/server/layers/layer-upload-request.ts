/**
 * The upload API of published layers (chunked and resumable):
 *
 *   PUT  /api/layers/<id>                         {"descriptor": "<canonical descriptor text>", "chunkTable": "<base64>"}
 *        → 200 {"id", "state": "uploading" | "published", "missingChunks": [chunk indices]}
 *   PUT  /api/layers/<id>/chunks/<firstChunkIndex> raw bytes of 1..64 consecutive body chunks
 *        → 200 {"stored": n, "skipped": n}
 *   POST /api/layers/<id>/commit                  → 200 {"id", "state": "published"}
 *
 * Restarting an upload is asking again with the first PUT: the answer lists only what is still
 * missing. Refusals are JSON {"error": "..."} with 400, 404, 409 or 413; never a 5xx for bad input.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHUNK_DIGEST_BYTES } from '../../images/chunk-table';
import { LAYER_CHUNK_SIZE_BYTES, MAX_DESCRIPTOR_BYTES } from '../../layers/layer-format';
import { LayerStoreError } from './layer-store-error';
import { LayerStore, MAX_CHUNKS_PER_REQUEST } from './layer-store';
import { readRequestBody } from './request-body';

export const LAYER_API_PREFIX = '/api/layers/';

const START_PATH = /^\/api\/layers\/([^/]+)$/;
const CHUNKS_PATH = /^\/api\/layers\/([^/]+)\/chunks\/(\d{1,9})$/;
const COMMIT_PATH = /^\/api\/layers\/([^/]+)\/commit$/;

function jsonReply(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function parseStartBody(body: Uint8Array): { descriptorBytes: Uint8Array; chunkTable: Uint8Array } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new LayerStoreError(400, 'The upload request must be JSON {"descriptor": "<descriptor text>", "chunkTable": "<base64>"}.');
  }
  const { descriptor, chunkTable } = (value ?? {}) as { descriptor?: unknown; chunkTable?: unknown };
  if (typeof descriptor !== 'string' || typeof chunkTable !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(chunkTable))
    throw new LayerStoreError(400, 'The upload request needs "descriptor" (the canonical descriptor text) and "chunkTable" (base64 of the raw digests).');
  return { descriptorBytes: new TextEncoder().encode(descriptor), chunkTable: new Uint8Array(Buffer.from(chunkTable, 'base64')) };
}

async function answer(req: IncomingMessage, res: ServerResponse, store: LayerStore): Promise<void> {
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const start = START_PATH.exec(rawPath);
  if (start) {
    if (req.method !== 'PUT') return jsonReply(res, 405, { error: 'Start or resume an upload with PUT /api/layers/<id>.' });
    const id = start[1]!;
    LayerStore.assertLayerId(id);
    // Base64 of the largest table the size limit allows, plus the descriptor and JSON around them.
    const maxTableBytes = Math.ceil(store.maxBodyBytes / LAYER_CHUNK_SIZE_BYTES) * CHUNK_DIGEST_BYTES;
    const body = await readRequestBody(req, Math.ceil((maxTableBytes * 4) / 3) + 2 * MAX_DESCRIPTOR_BYTES, 'The upload request');
    const { descriptorBytes, chunkTable } = parseStartBody(body);
    const state = await store.startUpload(id, descriptorBytes, chunkTable);
    return jsonReply(res, 200, { id, ...state });
  }
  const chunks = CHUNKS_PATH.exec(rawPath);
  if (chunks) {
    if (req.method !== 'PUT') return jsonReply(res, 405, { error: 'Upload chunks with PUT /api/layers/<id>/chunks/<firstChunkIndex>.' });
    const id = chunks[1]!;
    LayerStore.assertLayerId(id);
    const body = await readRequestBody(req, MAX_CHUNKS_PER_REQUEST * LAYER_CHUNK_SIZE_BYTES, 'A chunk upload');
    return jsonReply(res, 200, await store.storeChunks(id, Number(chunks[2]), body));
  }
  const commit = COMMIT_PATH.exec(rawPath);
  if (commit) {
    if (req.method !== 'POST') return jsonReply(res, 405, { error: 'Commit an upload with POST /api/layers/<id>/commit.' });
    const id = commit[1]!;
    await store.commit(id);
    return jsonReply(res, 200, { id, state: 'published' });
  }
  jsonReply(res, 404, { error: 'Not found. The layer upload API is PUT /api/layers/<id>, PUT /api/layers/<id>/chunks/<n>, POST /api/layers/<id>/commit.' });
}

/** Answers one request under /api/layers/. Never throws: a refusal is its JSON reply, a fault a 500. */
export async function serveLayerUpload(req: IncomingMessage, res: ServerResponse, store: LayerStore): Promise<void> {
  res.on('error', () => undefined);
  try {
    await answer(req, res, store);
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    if (error instanceof LayerStoreError) {
      // The client may still be sending a body that was refused early; let it go.
      req.resume();
      return jsonReply(res, error.status, { error: error.message });
    }
    console.error(`layers: ${req.method} ${req.url} failed: ${(error as Error).stack ?? String(error)}`);
    jsonReply(res, 500, { error: `The layer store failed: ${(error as Error).message}` });
  }
}
