/**
 * A disk image the catalog has verified, kept open: the file handle opened for the verification
 * plus the chunk digests that pass computed. Every read is checked chunk by chunk against those
 * digests before any of its bytes leave, so the server never sends a byte under the image's
 * digest that is not exactly the verified content (design invariant 5), whatever happens to the
 * file afterwards: an in-place rewrite that keeps size and mtime (`cp -p`, `rsync -a`), a
 * truncation, or a replacement by rename (the handle keeps the verified inode).
 *
 * The handle lives as long as replies use it: a newer verification retires it, and it closes
 * when the last reply that leased it is done.
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { chunkCountOf, chunkDigestIn } from '../images/chunk-table';
import { sha256Raw } from './disk-digester';

/** What tells one version of a file from another without reading it. */
export interface FileIdentity {
  dev: number;
  ino: number;
  sizeBytes: number;
  mtimeMs: number;
  ctimeMs: number;
}

export function fileIdentity(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, sizeBytes: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

export function sameFileIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The disk no longer holds the verified bytes of a chunk (or cannot be read): nothing of it may be sent. */
export class DiskChangedError extends Error {
  constructor(
    readonly chunkIndex: number,
    problem: string,
  ) {
    super(`chunk ${chunkIndex} ${problem}`);
    this.name = 'DiskChangedError';
  }
}

export class VerifiedDisk {
  private leaseCount = 0;
  private retired = false;
  private closing: Promise<void> | undefined;
  readonly chunkCount: number;

  constructor(
    private readonly handle: FileHandle,
    /** The identity of the file when it was verified (fstat of the handle before the read pass). */
    readonly identity: FileIdentity,
    readonly sizeBytes: number,
    readonly chunkSizeBytes: number,
    /** The verified chunk table: chunkCount × 32 bytes. */
    readonly chunkTable: Buffer,
  ) {
    this.chunkCount = chunkCountOf({ sizeBytes, chunkSizeBytes });
  }

  /** Takes the handle for one reply; false once the disk is retired (a newer state replaced it). */
  lease(): boolean {
    if (this.retired) return false;
    this.leaseCount += 1;
    return true;
  }

  release(): void {
    this.leaseCount -= 1;
    if (this.retired && this.leaseCount === 0) void this.close();
  }

  /** No new replies; the handle closes once the replies in progress are done. */
  retire(): Promise<void> {
    this.retired = true;
    return this.leaseCount === 0 ? this.close() : Promise.resolve();
  }

  /** The file's identity now, through the handle (catches in-place changes to the verified inode). */
  async currentIdentity(): Promise<FileIdentity> {
    return fileIdentity(await this.handle.stat());
  }

  /**
   * Chunks [firstChunk, firstChunk + chunkCount), read through the verified handle; throws
   * DiskChangedError, naming the first chunk that no longer matches, unless every one does.
   */
  async readChunks(firstChunk: number, chunkCount: number): Promise<Buffer> {
    const startBytes = firstChunk * this.chunkSizeBytes;
    const endBytes = Math.min(this.sizeBytes, (firstChunk + chunkCount) * this.chunkSizeBytes);
    const bytes = Buffer.allocUnsafe(endBytes - startBytes);
    for (let filledBytes = 0; filledBytes < bytes.length; ) {
      let readBytes: number;
      try {
        ({ bytesRead: readBytes } = await this.handle.read(bytes, filledBytes, bytes.length - filledBytes, startBytes + filledBytes));
      } catch (error) {
        throw new DiskChangedError(Math.floor((startBytes + filledBytes) / this.chunkSizeBytes), `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      if (readBytes === 0) throw new DiskChangedError(Math.floor((startBytes + filledBytes) / this.chunkSizeBytes), 'is cut short: the file shrank');
      filledBytes += readBytes;
    }
    for (let index = 0; index < chunkCount && firstChunk + index < this.chunkCount; index++) {
      const chunk = bytes.subarray(index * this.chunkSizeBytes, (index + 1) * this.chunkSizeBytes);
      if (!sha256Raw(chunk).equals(chunkDigestIn(this.chunkTable, firstChunk + index)))
        throw new DiskChangedError(firstChunk + index, 'no longer matches its verified digest');
    }
    return bytes;
  }

  private close(): Promise<void> {
    this.closing ??= this.handle.close().catch(() => undefined);
    return this.closing;
  }
}
