/**
 * Serves published layers as a static host would, so a browser reads them like a root:
 *
 *   /layers/<id>/layer.json      the canonical descriptor bytes (their sha-256 is <id>)
 *   /layers/<id>/chunks.sha256   the body's chunk table (its sha-256 is in the descriptor)
 *   /layers/<id>/body            the body, with RFC 9110 Range
 *
 * All three are immutable under the strong ETag "<id>" and cached for a year. The body is
 * assembled from the content-addressed chunks, each checked against the table before any of its
 * bytes are written (invariant 5); headers go out after the first chunk checked, so a damaged
 * store is a 500 when that is still possible, later a cut-off reply, never other bytes.
 * An id that is not published is a 404, a malformed one a 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHUNK_TABLE_FILE } from '../../images/chunk-table';
import { LAYER_CHUNK_SIZE_BYTES, LAYER_ID_PATTERN } from '../../layers/layer-format';
import { CORS_HEADERS, plainReply } from '../plain-reply';
import { planReply } from '../range-reply';
import { drainedOrClosed } from '../verified-body';
import type { LayerStore, PublishedLayer } from './layer-store';

export const LAYER_PATH_PREFIX = '/layers/';
export const LAYER_DESCRIPTOR_FILE = 'layer.json';
export const LAYER_BODY_FILE = 'body';

const LAYER_PATH = /^\/layers\/([^/]+)\/([^/]+)$/;

function resourceHeaders(id: string, contentType: string): Record<string, string> {
  return { ...CORS_HEADERS, ETag: `"${id}"`, 'Content-Type': contentType, 'Cache-Control': 'public, max-age=31536000, immutable, no-transform' };
}

async function answer(req: IncomingMessage, res: ServerResponse, store: LayerStore): Promise<void> {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS);
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return plainReply(res, 405, 'Published layers are read-only: use GET or HEAD.', { Allow: 'GET, HEAD, OPTIONS' });
  const match = LAYER_PATH.exec((req.url ?? '/').split('?')[0] ?? '/');
  const file = match?.[2];
  if (!match || (file !== LAYER_DESCRIPTOR_FILE && file !== CHUNK_TABLE_FILE && file !== LAYER_BODY_FILE))
    return plainReply(res, 404, `Not found. A published layer is served at /layers/<id>/${LAYER_DESCRIPTOR_FILE}, /layers/<id>/${CHUNK_TABLE_FILE} and /layers/<id>/${LAYER_BODY_FILE}.`);
  const id = match[1]!;
  if (!LAYER_ID_PATTERN.test(id)) return plainReply(res, 400, `"${id.slice(0, 80)}" is not a layer id (64 lower-case hex digits).`);
  const layer = await store.published(id);
  if (!layer) return plainReply(res, 404, `No published layer ${id} on this server.`);

  const isBody = file === LAYER_BODY_FILE;
  const small = file === LAYER_DESCRIPTOR_FILE ? layer.descriptorBytes : layer.chunkTable;
  const sizeBytes = isBody ? layer.descriptor.body.sizeBytes : small.length;
  const headers = resourceHeaders(id, file === LAYER_DESCRIPTOR_FILE ? 'application/json' : 'application/octet-stream');
  const plan = planReply(req.headers, sizeBytes, headers.ETag!);
  if (plan.status === 412) return plainReply(res, 412, 'Precondition failed: the ETag differs.');
  if (plan.status === 416) return plainReply(res, 416, `Range not satisfiable: the content is ${sizeBytes} bytes.`, { 'Content-Range': plan.contentRange });
  if (plan.status === 304) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const replyHeaders = {
    ...headers,
    'Accept-Ranges': 'bytes',
    'Content-Length': plan.endBytes - plan.startBytes,
    ...(plan.contentRange ? { 'Content-Range': plan.contentRange } : {}),
  };
  if (req.method === 'HEAD' || plan.endBytes === plan.startBytes) {
    res.writeHead(plan.status, replyHeaders);
    res.end();
    return;
  }
  if (!isBody) {
    res.writeHead(plan.status, replyHeaders);
    res.end(small.subarray(plan.startBytes, plan.endBytes));
    return;
  }
  await sendBody(res, store, layer, plan.startBytes, plan.endBytes, () => res.writeHead(plan.status, replyHeaders));
}

async function sendBody(res: ServerResponse, store: LayerStore, layer: PublishedLayer, startBytes: number, endBytes: number, writeHead: () => void): Promise<void> {
  const firstChunk = Math.floor(startBytes / LAYER_CHUNK_SIZE_BYTES);
  const lastChunk = Math.floor((endBytes - 1) / LAYER_CHUNK_SIZE_BYTES);
  for (let chunkIndex = firstChunk; chunkIndex <= lastChunk; chunkIndex += 1) {
    if (res.destroyed) return;
    const chunk = await store.bodyChunk(layer, chunkIndex);
    if (chunkIndex === firstChunk) writeHead();
    const chunkStart = chunkIndex * LAYER_CHUNK_SIZE_BYTES;
    const piece = chunk.subarray(Math.max(0, startBytes - chunkStart), Math.min(chunk.length, endBytes - chunkStart));
    if (!res.write(piece)) await drainedOrClosed(res);
  }
  res.end();
}

/** Answers one request under /layers/. Never throws: a fault is a 500 before the headers, a cut-off reply after. */
export async function serveLayer(req: IncomingMessage, res: ServerResponse, store: LayerStore): Promise<void> {
  res.on('error', () => undefined);
  try {
    await answer(req, res, store);
  } catch (error) {
    console.error(`layers: ${req.method} ${req.url} failed: ${(error as Error).message}`);
    if (!res.headersSent) plainReply(res, 500, `Cannot serve the layer: ${(error as Error).message}`);
    else res.destroy();
  }
}
