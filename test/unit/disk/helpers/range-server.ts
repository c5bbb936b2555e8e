/**
 * A real HTTP server on 127.0.0.1 serving one image over Range requests, and its chunk table
 * (the sha-256 of every chunk) for any chunk size; either can be told to misbehave for the
 * next requests (one misbehaviour per request, in order).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { ChunkTableLocation } from '@/lib/disk/chunk-digest-table';
import { RangeSource, RangeSourceError, type RangeSourceConfig } from '@/lib/disk/range-source';
import { DiskDigester } from '@/lib/server/disk-digester';
import { patternBytes } from './bytes';

export type Misbehaviour =
  | 'status-503'
  | 'status-404'
  | 'full-200'
  /** The whole file under another ETag: what a cache revalidating with If-Range gets after the image changed. */
  | 'full-200-other-etag'
  | 'wrong-range'
  | 'no-content-range'
  | 'other-etag'
  | 'weak-etag'
  | 'truncated'
  | 'long-body'
  /** Right status and headers, but the body's last byte flipped (a proxy altering data). */
  | 'flip'
  | 'hang'
  | 'destroy';

export type TableMisbehaviour = 'status-503' | 'status-404' | 'flip' | 'truncated' | 'destroy';

export interface RangeServer {
  url: string;
  etag: string;
  /** Every range asked for, in arrival order. */
  requests: Array<{ start: number; end: number }>;
  /** How many times a chunk table was asked for. */
  tableRequests: number;
  misbehave(...next: Misbehaviour[]): void;
  misbehaveTable(...next: TableMisbehaviour[]): void;
  /** Where the table for `chunkSizeBytes` is served, and its sha-256: what a manifest names. */
  chunkDigests(chunkSizeBytes: number): ChunkTableLocation;
  /** Resolves when the next hanging request's connection closes (call before it does). */
  hungRequestClosed(): Promise<void>;
  close(): Promise<void>;
}

/** The image's chunk table, as the image tools and the server compute it (DiskDigester, Node's sha-256). */
export function chunkDigestTableOf(image: Uint8Array, chunkSizeBytes: number): Buffer {
  const digester = new DiskDigester(image.length, chunkSizeBytes);
  digester.update(image);
  return digester.finish().chunkTable;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function flipLastByte(body: Buffer): Buffer {
  const flipped = Buffer.from(body);
  const last = flipped.length - 1;
  if (last >= 0) flipped[last] = flipped[last]! ^ 0x01;
  return flipped;
}

export async function startRangeServer(image: Uint8Array, etag = '"sha256-test"'): Promise<RangeServer> {
  const queue: Misbehaviour[] = [];
  const tableQueue: TableMisbehaviour[] = [];
  const requests: Array<{ start: number; end: number }> = [];
  const closeWaiters: Array<() => void> = [];
  const tables = new Map<number, Buffer>();
  const tableOf = (chunkSizeBytes: number) => {
    let table = tables.get(chunkSizeBytes);
    if (!table) {
      table = chunkDigestTableOf(image, chunkSizeBytes);
      tables.set(chunkSizeBytes, table);
    }
    return table;
  };
  let tableRequests = 0;

  const handleTable = (req: IncomingMessage, res: ServerResponse, chunkSizeBytes: number) => {
    tableRequests += 1;
    const table = tableOf(chunkSizeBytes);
    const send = (status: number, payload: Buffer) =>
      res.writeHead(status, { 'Content-Length': String(payload.length), 'Content-Type': 'application/octet-stream' }).end(payload);
    switch (tableQueue.shift()) {
      case undefined:
        return send(200, table);
      case 'status-503':
        return send(503, Buffer.from('busy'));
      case 'status-404':
        return send(404, Buffer.from('gone'));
      case 'flip':
        return send(200, flipLastByte(table));
      case 'truncated':
        return send(200, table.subarray(0, table.length - 32));
      case 'destroy':
        req.socket.destroy();
        return;
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const tableMatch = /\.chunks\?chunk=(\d+)$/.exec(req.url ?? '');
    if (tableMatch) return handleTable(req, res, Number(tableMatch[1]));
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
      case 'full-200-other-etag':
        return send(200, { 'Content-Range': undefined, ETag: '"sha256-other"' }, Buffer.from(image));
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
      case 'flip':
        return send(206, {}, flipLastByte(body));
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
  const url = `http://127.0.0.1:${port}/image.raw`;
  return {
    url,
    etag,
    requests,
    get tableRequests() {
      return tableRequests;
    },
    misbehave: (...next) => queue.push(...next),
    misbehaveTable: (...next) => tableQueue.push(...next),
    chunkDigests: (chunkSizeBytes) => ({ url: `${url}.chunks?chunk=${chunkSizeBytes}`, sha256: sha256Hex(tableOf(chunkSizeBytes)) }),
    hungRequestClosed: () => new Promise<void>((resolve) => closeWaiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { patternBytes };

/** Chunk size the range source tests use: small, so a test image has many chunks. */
export const TEST_CHUNK_BYTES = 1024;

/** A RangeSource on `server` with fast test settings (1 ms backoff, 1 KiB chunks), its table included. */
export function rangeSourceOn(server: RangeServer, image: Uint8Array, overrides: Partial<RangeSourceConfig> = {}): RangeSource {
  const chunkSizeBytes = overrides.chunkSizeBytes ?? TEST_CHUNK_BYTES;
  return new RangeSource({
    url: server.url,
    sizeBytes: image.length,
    etag: server.etag,
    chunkDigests: server.chunkDigests(chunkSizeBytes),
    chunkSizeBytes,
    maxReadaheadChunks: 16,
    cacheBudgetBytes: 1024 * 1024,
    maxRetries: 3,
    retryBaseDelayMs: 1,
    ...overrides,
  });
}

/** The RangeSourceError a read fails with (the test fails if it succeeds or fails otherwise). */
export async function rangeSourceFailure(promise: Promise<unknown>): Promise<RangeSourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RangeSourceError)) throw new Error(`expected a RangeSourceError, got ${String(error)}`);
  return error;
}

/**
 * Serves `image` for the tests of the calling file: started before them, closed after, its
 * request log cleared before each. `onStart` receives the server.
 */
export function serveDuringTests(image: Uint8Array, onStart: (server: RangeServer) => void): void {
  let server: RangeServer | undefined;
  beforeAll(async () => {
    server = await startRangeServer(image);
    onStart(server);
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    if (server) server.requests.length = 0;
  });
}
