/**
 * Serves raw root images and their chunk tables over HTTP with RFC 9110 single-range semantics
 * (range-reply.ts decides; this module resolves the URL and writes).
 *
 * Why not public/ or a route handler: `next start` answers an unsatisfiable Range on public/
 * with 500, and Next route handlers drop Content-Length, which range clients rely on. So the
 * custom server (server.ts) routes `/images/...` here, before Next sees the request.
 *
 * Image bytes come only from the catalog's verified disk handle, each chunk checked against its
 * verified digest before any of its bytes are written (verified-body.ts): a file changed under
 * the server gets a 503 or a cut-off reply, never other bytes under the old ETag.
 *
 * URL shapes (nothing else under /images/ exists, and no part of the URL ever becomes a path):
 *   /images/<id>/disk.img        the current build of <id>; revalidated (ETag) on every use
 *   /images/<id>/<sha256>.img    that exact content; immutable, cached for a year
 *   /images/<id>/<sha256>.chunks the chunk table of that content (lib/images/chunk-table.ts), from
 *                                the copy the catalog verified; immutable, ETag "sha256-<table's sha256>"
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chunkTableEtag, IMAGE_ID_PATTERN, imageEtag } from '../images/manifest';
import type { Catalog, CatalogEntry } from './catalog';
import { CORS_HEADERS, plainReply, RETRY_AFTER_SECONDS } from './plain-reply';
import { planReply, type ReplyPlan } from './range-reply';
import { sendVerifiedDiskBytes } from './verified-body';

export const IMAGE_PATH_PREFIX = '/images/';

const IMAGE_PATH = /^\/images\/([^/]+)\/([^/]+)$/;
const DIGEST_FILE = /^([0-9a-f]{64})\.(img|chunks)$/;

/** Where image requests find the verified catalog, and report a disk that changed under them. */
export interface VerifiedImages {
  current(): Catalog;
  reportChanged(folder: string, reason: string): void;
}

type Resolved =
  | { kind: 'image'; entry: CatalogEntry; etag: string; immutable: boolean }
  | { kind: 'chunk-table'; table: Buffer; etag: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'missing'; message: string };

/** Maps a request path to a catalog resource, or says why there is none. Never builds paths from input. */
function resolve(rawPath: string, catalog: Catalog): Resolved {
  const match = IMAGE_PATH.exec(rawPath);
  if (!match) return { kind: 'missing', message: 'Not found. Images are served at /images/<id>/disk.img.' };
  const [, id = '', file = ''] = match;
  // Only the catalog's own ids are looked up, so "..", "%2e%2e" or "%2f" can never name a file.
  if (!IMAGE_ID_PATTERN.test(id)) return { kind: 'missing', message: 'Not found: not an image id.' };
  const entry = catalog.entries.get(id);
  if (!entry) {
    const problem = catalog.problems.find((p) => p.folder === id);
    if (problem) return { kind: 'unavailable', message: `Image "${id}" cannot be served now: ${problem.message}` };
    return { kind: 'missing', message: `No image "${id}" in the catalog. GET /api/images lists them.` };
  }
  const etag = imageEtag(entry.manifest);
  if (file === 'disk.img') return { kind: 'image', entry, etag, immutable: false };
  const [, digest, extension] = DIGEST_FILE.exec(file) ?? [];
  if (digest === undefined) return { kind: 'missing', message: 'Not found.' };
  if (digest !== entry.manifest.sha256)
    return {
      kind: 'missing',
      message: `Image "${id}" no longer has content ${digest}; its current digest is ${entry.manifest.sha256}.`,
    };
  if (extension === 'chunks') return { kind: 'chunk-table', table: entry.disk.chunkTable, etag: chunkTableEtag(entry.manifest) };
  return { kind: 'image', entry, etag, immutable: true };
}

/** The headers every 2xx/304 reply of a resource carries. */
function resourceHeaders(etag: string, immutable: boolean): Record<string, string> {
  return {
    ...CORS_HEADERS,
    ETag: etag,
    'Content-Type': 'application/octet-stream',
    // no-transform: proxies must not compress, or byte ranges would no longer address the bytes.
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable, no-transform' : 'public, no-cache, no-transform',
  };
}

type BodyPlan = Extract<ReplyPlan, { status: 200 | 206 }>;

/** Answers what needs no body (412, 416, 304, HEAD); returns the plan of a reply that has one. */
function answerWithoutBody(req: IncomingMessage, res: ServerResponse, plan: ReplyPlan, headers: Record<string, string>, sizeBytes: number): BodyPlan | undefined {
  if (plan.status === 412) {
    plainReply(res, 412, 'Precondition failed: the content changed (its ETag differs).');
  } else if (plan.status === 416) {
    plainReply(res, 416, `Range not satisfiable: the content is ${sizeBytes} bytes.`, { 'Content-Range': plan.contentRange });
  } else if (plan.status === 304) {
    res.writeHead(304, headers);
    res.end();
  } else if (req.method === 'HEAD') {
    res.writeHead(plan.status, bodyHeaders(plan, headers));
    res.end();
  } else {
    return plan;
  }
  return undefined;
}

function bodyHeaders(plan: BodyPlan, headers: Record<string, string>): Record<string, string | number> {
  return {
    ...headers,
    'Accept-Ranges': 'bytes',
    'Content-Length': plan.endBytes - plan.startBytes,
    ...(plan.contentRange ? { 'Content-Range': plan.contentRange } : {}),
  };
}

/**
 * Answers one request under /images/. Never throws and never writes headers twice: a failure
 * before the headers becomes a 5xx reply, after them a cut-off connection.
 */
export async function serveImage(req: IncomingMessage, res: ServerResponse, images: VerifiedImages): Promise<void> {
  // A reply that fails after its headers is destroyed; its socket errors must not crash the server.
  res.on('error', () => undefined);
  try {
    await answer(req, res, images);
  } catch (error) {
    if (!res.headersSent) plainReply(res, 500, `Cannot serve the image: ${(error as Error).message}`);
    else res.destroy();
  }
}

async function answer(req: IncomingMessage, res: ServerResponse, images: VerifiedImages, attempt = 1): Promise<void> {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS);
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    plainReply(res, 405, 'Images are read-only: use GET or HEAD.', { Allow: 'GET, HEAD, OPTIONS' });
    return;
  }
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const catalog = images.current();
  const resolved = resolve(rawPath, catalog);
  if (resolved.kind === 'missing') return plainReply(res, 404, resolved.message);
  if (resolved.kind === 'unavailable') return plainReply(res, 503, resolved.message, { 'Retry-After': String(RETRY_AFTER_SECONDS) });

  if (resolved.kind === 'chunk-table') {
    const { table, etag } = resolved;
    const headers = resourceHeaders(etag, true);
    const plan = answerWithoutBody(req, res, planReply(req.headers, table.length, etag), headers, table.length);
    if (!plan) return;
    res.writeHead(plan.status, bodyHeaders(plan, headers));
    res.end(table.subarray(plan.startBytes, plan.endBytes));
    return;
  }

  const { entry, etag, immutable } = resolved;
  const headers = resourceHeaders(etag, immutable);
  const plan = answerWithoutBody(req, res, planReply(req.headers, entry.manifest.sizeBytes, etag), headers, entry.manifest.sizeBytes);
  if (!plan) return;
  const sent = await sendVerifiedDiskBytes(res, entry.disk, plan, bodyHeaders(plan, headers));
  // The catalog moved on between the lookup and the read: answer from its new state, once.
  if (sent.kind === 'retired') {
    if (attempt === 1) return answer(req, res, images, 2);
    return plainReply(res, 503, 'The image is being replaced on the server; retry in a few seconds.', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }
  if (sent.kind === 'disk-changed') {
    images.reportChanged(entry.folder, sent.reason);
    if (!sent.headersSent) {
      plainReply(
        res,
        503,
        `The image ${catalog.shownDirectory}/${entry.folder} changed on the server and no longer matches the digest it is served under (${sent.reason}). The server is verifying it again; retry in a few seconds.`,
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
  }
}
