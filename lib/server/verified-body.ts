/**
 * Writes disk bytes [startBytes, endBytes) of a reply from the verified disk: the chunk-aligned
 * span that covers them is read through the verified handle, about 1 MiB at a time, and every
 * chunk is checked against its verified digest before any of its bytes are written. The headers
 * go out only after the first piece verified, so a disk that changed is answered with a 503 when
 * that is still possible; later, the connection is cut (the client sees fewer bytes than
 * Content-Length promised, never other bytes).
 */
import type { ServerResponse } from 'node:http';
import { DiskChangedError, type VerifiedDisk } from './verified-disk';

/** How much is read and checked per step: enough to keep syscalls few, small enough per reply. */
const READ_STEP_BYTES = 1024 * 1024;

export type SendResult =
  | { kind: 'sent' }
  /** The client went away; nothing more to do. */
  | { kind: 'client-gone' }
  /** The disk was retired (a newer verified state replaced it) before this reply could lease it. */
  | { kind: 'retired' }
  | { kind: 'disk-changed'; reason: string; headersSent: boolean };

/** Resolves when the response can take more, or is gone. */
export function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function sendVerifiedDiskBytes(
  res: ServerResponse,
  disk: VerifiedDisk,
  span: { status: number; startBytes: number; endBytes: number },
  headers: Record<string, string | number>,
): Promise<SendResult> {
  if (!disk.lease()) return { kind: 'retired' };
  try {
    const { chunkSizeBytes } = disk;
    const chunksPerStep = Math.max(1, Math.floor(READ_STEP_BYTES / chunkSizeBytes));
    const lastChunk = Math.floor((span.endBytes - 1) / chunkSizeBytes);
    for (let chunk = Math.floor(span.startBytes / chunkSizeBytes); chunk <= lastChunk; chunk += chunksPerStep) {
      let bytes: Buffer;
      try {
        bytes = await disk.readChunks(chunk, Math.min(chunksPerStep, lastChunk - chunk + 1));
      } catch (error) {
        if (!(error instanceof DiskChangedError)) throw error;
        if (res.headersSent) res.destroy();
        return { kind: 'disk-changed', reason: error.message, headersSent: res.headersSent };
      }
      if (res.destroyed) return { kind: 'client-gone' };
      if (!res.headersSent) res.writeHead(span.status, headers);
      const stepStartBytes = chunk * chunkSizeBytes;
      const piece = bytes.subarray(Math.max(0, span.startBytes - stepStartBytes), Math.min(bytes.length, span.endBytes - stepStartBytes));
      if (!res.write(piece)) await drainedOrClosed(res);
      if (res.destroyed) return { kind: 'client-gone' };
    }
    res.end();
    return { kind: 'sent' };
  } finally {
    disk.release();
  }
}
