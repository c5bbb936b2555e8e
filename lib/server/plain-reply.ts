/**
 * The image server's headers for other origins and its short text replies (errors, 404s).
 * A reply is never started twice: once headers are out, the only way to signal a failure is to
 * cut the connection, so the client sees a truncated body instead of wrong bytes.
 */
import type { ServerResponse } from 'node:http';

/** Headers a browser needs to use the image from another origin (e.g. a lab on a CDN). */
export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges, ETag',
  'Access-Control-Max-Age': '86400',
  'Timing-Allow-Origin': '*',
};

/** What a 503 asks the client to wait: about the time a changed image takes to be verified again. */
export const RETRY_AFTER_SECONDS = 5;

export function plainReply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    ...CORS_HEADERS,
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(message),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(message);
}
