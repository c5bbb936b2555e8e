/**
 * Serves raw root images over HTTP with RFC 9110 single-range semantics.
 *
 * Why not public/ or a route handler: `next start` answers an unsatisfiable Range on public/
 * with 500, and Next route handlers drop Content-Length, which range clients rely on. So the
 * custom server (server.ts) routes `/images/...` here, before Next sees the request.
 * Range parsing, 206/416, HEAD and conditional requests come from `send` (Express's file
 * sender); this module adds what `send` cannot know: the catalog lookup, the strong ETag
 * derived from the content digest, strict If-Range, caching policy and CORS.
 *
 * URL shapes (nothing else under /images/ exists, and no part of the URL ever becomes a path):
 *   /images/<id>/disk.img        the current build of <id>; revalidated (ETag) on every use
 *   /images/<id>/<sha256>.img    that exact content; immutable, cached for a year
 *   /images/<id>/<sha256>.chunks the chunk table of that content (lib/images/chunk-table.ts), from
 *                                the copy the catalog verified; immutable, ETag "sha256-<table's sha256>"
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import send from 'send';
import { chunkTableEtag, IMAGE_ID_PATTERN, imageEtag } from '../images/manifest';
import type { Catalog } from './catalog';
import { planReply } from './range-reply';

export const IMAGE_PATH_PREFIX = '/images/';

const IMAGE_PATH = /^\/images\/([^/]+)\/([^/]+)$/;
const DIGEST_FILE = /^([0-9a-f]{64})\.(img|chunks)$/;

/** Headers a browser needs to use the image from another origin (e.g. a lab on a CDN). */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges, ETag',
  'Access-Control-Max-Age': '86400',
  'Timing-Allow-Origin': '*',
};

/** Headers of every successful reply of a content-addressed resource. */
function setImmutableHeaders(res: ServerResponse, etag: string): void {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  res.setHeader('ETag', etag);
  res.setHeader('Content-Type', 'application/octet-stream');
  // no-transform: proxies must not compress, or byte ranges would no longer address the bytes.
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable, no-transform');
}

/** Serves bytes held in memory (already verified) with the same range semantics as the images. */
function serveBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, etag: string): void {
  const plan = planReply(req.headers, bytes.length, etag);
  if (plan.status === 412) return plainReply(res, 412, 'Precondition failed: the content changed (its ETag differs).');
  if (plan.status === 416)
    return plainReply(res, 416, `Range not satisfiable: the file is ${bytes.length} bytes.`, { 'Content-Range': plan.contentRange });
  setImmutableHeaders(res, etag);
  if (plan.status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(plan.status, {
    'Accept-Ranges': 'bytes',
    'Content-Length': plan.endBytes - plan.startBytes,
    ...(plan.contentRange ? { 'Content-Range': plan.contentRange } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : bytes.subarray(plan.startBytes, plan.endBytes));
}

function plainReply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...CORS_HEADERS,
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(message),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(message);
}

type Resolved =
  | { kind: 'image'; diskPath: string; etag: string; immutable: boolean }
  | { kind: 'chunk-table'; table: Buffer; etag: string }
  | { kind: 'missing'; message: string };

/** Maps a request path to a catalog file, or says why there is none. Never builds paths from input. */
function resolveImage(rawPath: string, catalog: Catalog): Resolved {
  const match = IMAGE_PATH.exec(rawPath);
  if (!match) return { kind: 'missing', message: 'Not found. Images are served at /images/<id>/disk.img.' };
  const [, id = '', file = ''] = match;
  // Only the catalog's own ids are looked up, so "..", "%2e%2e" or "%2f" can never name a file.
  if (!IMAGE_ID_PATTERN.test(id)) return { kind: 'missing', message: 'Not found: not an image id.' };
  const entry = catalog.entries.get(id);
  if (!entry) return { kind: 'missing', message: `No image "${id}" in the catalog. GET /api/images lists them.` };
  const etag = imageEtag(entry.manifest);
  if (file === 'disk.img') return { kind: 'image', diskPath: entry.diskPath, etag, immutable: false };
  const [, digest, extension] = DIGEST_FILE.exec(file) ?? [];
  if (digest === undefined) return { kind: 'missing', message: 'Not found.' };
  if (digest !== entry.manifest.sha256)
    return {
      kind: 'missing',
      message: `Image "${id}" no longer has content ${digest}; its current digest is ${entry.manifest.sha256}.`,
    };
  if (extension === 'chunks') return { kind: 'chunk-table', table: entry.chunkTable, etag: chunkTableEtag(entry.manifest) };
  return { kind: 'image', diskPath: entry.diskPath, etag, immutable: true };
}

export function serveImage(req: IncomingMessage, res: ServerResponse, catalog: Catalog): void {
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS);
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    plainReply(res, 405, 'Images are read-only: use GET or HEAD.', { Allow: 'GET, HEAD, OPTIONS' });
    return;
  }
  const resolved = resolveImage(rawPath, catalog);
  if (resolved.kind === 'missing') {
    plainReply(res, 404, resolved.message);
    return;
  }

  if (resolved.kind === 'chunk-table') {
    serveBytes(req, res, resolved.table, resolved.etag);
    return;
  }

  // RFC 9110 13.1.5: If-Range needs a strong, exact match; otherwise the whole image is sent.
  // `send` would also accept a weak or a partial match, so it is decided here and hidden from it.
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined) {
    if (String(ifRange).trim() !== resolved.etag) delete req.headers.range;
    delete req.headers['if-range'];
  }

  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  res.setHeader('ETag', resolved.etag);
  res.setHeader('Content-Type', 'application/octet-stream');
  // no-transform: proxies must not compress, or byte ranges would no longer address the disk.
  res.setHeader(
    'Cache-Control',
    resolved.immutable ? 'public, max-age=31536000, immutable, no-transform' : 'public, no-cache, no-transform',
  );

  send(req, resolved.diskPath, { etag: false, lastModified: false, cacheControl: false, acceptRanges: true, dotfiles: 'allow' })
    .on('error', (error: Error & { status?: number; headers?: Record<string, string> }) => {
      const status = error.status ?? 500;
      const message =
        status === 416
          ? `Range not satisfiable: the image is ${String(error.headers?.['Content-Range'] ?? '').replace('bytes */', '')} bytes.`
          : status === 412
            ? 'Precondition failed: the image changed (its ETag differs).'
            : `Cannot serve the image: ${error.message}`;
      plainReply(res, status, message, error.headers ?? {});
    })
    .pipe(res);
}
