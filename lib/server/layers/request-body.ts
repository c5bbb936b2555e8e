/** Reads a request body up to a limit: a longer body is refused as soon as it passes the limit (413), never buffered whole. */
import type { IncomingMessage } from 'node:http';
import { LayerStoreError } from './layer-store-error';

export async function readRequestBody(req: IncomingMessage, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw new LayerStoreError(413, `${what} is ${declared} bytes; at most ${maxBytes} are accepted.`);
  const pieces: Buffer[] = [];
  let totalBytes = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    totalBytes += piece.length;
    if (totalBytes > maxBytes) throw new LayerStoreError(413, `${what} is more than the ${maxBytes} bytes accepted.`);
    pieces.push(piece);
  }
  const body = Buffer.concat(pieces);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}
