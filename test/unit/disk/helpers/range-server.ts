/**
 * A real HTTP server on 127.0.0.1 serving one image over Range requests, which can be told
 * to misbehave for the next requests (one misbehaviour per request, in order).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { patternBytes } from './bytes';

export type Misbehaviour =
  | 'status-503'
  | 'status-404'
  | 'full-200'
  | 'wrong-range'
  | 'no-content-range'
  | 'other-etag'
  | 'weak-etag'
  | 'truncated'
  | 'long-body'
  | 'hang'
  | 'destroy';

export interface RangeServer {
  url: string;
  etag: string;
  /** Every range asked for, in arrival order. */
  requests: Array<{ start: number; end: number }>;
  misbehave(...next: Misbehaviour[]): void;
  /** Resolves when the next hanging request's connection closes (call before it does). */
  hungRequestClosed(): Promise<void>;
  close(): Promise<void>;
}

export async function startRangeServer(image: Uint8Array, etag = '"sha256-test"'): Promise<RangeServer> {
  const queue: Misbehaviour[] = [];
  const requests: Array<{ start: number; end: number }> = [];
  const closeWaiters: Array<() => void> = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!match) {
      res.writeHead(400).end('Range required');
      return;
    }
    const start = Number(match[1]);
    const end = Math.min(Number(match[2]), image.length - 1);
    requests.push({ start, end });
    const body = Buffer.from(image.subarray(start, end + 1));
    const headers: Record<string, string> = {
      'Content-Range': `bytes ${start}-${end}/${image.length}`,
      ETag: etag,
      'Content-Type': 'application/octet-stream',
    };
    const send = (status: number, extra: Record<string, string | undefined> = {}, payload: Buffer = body) => {
      const all: Record<string, string> = { ...headers, 'Content-Length': String(payload.length) };
      for (const [key, value] of Object.entries(extra)) {
        if (value === undefined) delete all[key];
        else all[key] = value;
      }
      res.writeHead(status, all).end(payload);
    };
    const kind = queue.shift();
    switch (kind) {
      case undefined:
        return send(206);
      case 'status-503':
        return send(503, { 'Content-Range': undefined }, Buffer.from('busy'));
      case 'status-404':
        return send(404, { 'Content-Range': undefined }, Buffer.from('gone'));
      case 'full-200':
        return send(200, { 'Content-Range': undefined }, Buffer.from(image));
      case 'wrong-range':
        return send(206, { 'Content-Range': `bytes ${start + 512}-${end + 512}/${image.length}` });
      case 'no-content-range':
        return send(206, { 'Content-Range': undefined });
      case 'other-etag':
        return send(206, { ETag: '"sha256-other"' });
      case 'weak-etag':
        return send(206, { ETag: `W/${etag}` });
      case 'truncated':
        return send(206, {}, body.subarray(0, Math.max(0, body.length - 100)));
      case 'long-body':
        return send(206, {}, Buffer.concat([body, Buffer.alloc(100)]));
      case 'hang':
        req.socket.on('close', () => closeWaiters.splice(0).forEach((resolve) => resolve()));
        return; // never answers
      case 'destroy':
        req.socket.destroy();
        return;
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/image.raw`,
    etag,
    requests,
    misbehave: (...next) => queue.push(...next),
    hungRequestClosed: () => new Promise<void>((resolve) => closeWaiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { patternBytes };
