/**
 * A raw disk image file as a v86 hard disk, for builds and checks that run a guest under Node
 * (run-in-guest.ts, boot-check.ts). v86 duck-types disks (its src/buffer.js): `byteLength`,
 * `load()` then `onload`, `get(start, length, fn)` and `set(start, data, fn)`. Reads go straight
 * to the file with synchronous calls, so a multi-GiB image never has to fit in memory.
 *
 * Writes go to the file too (every write the guest saw complete is in the file when it powers
 * off), or, with `copyOnWrite`, to sectors kept in memory: a published image is booted without
 * changing a byte of it.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

const SECTOR_BYTES = 512;

export class FileDisk {
  readonly byteLength: number;
  /** Set by v86 before it calls `load()`. */
  onload: ((event: object) => void) | undefined;
  onprogress: ((event: object) => void) | undefined;
  private fd: number | undefined;
  /** With copyOnWrite: the guest's writes by sector index. */
  private readonly writtenSectors: Map<number, Uint8Array> | undefined;

  constructor(
    readonly path: string,
    options: { copyOnWrite?: boolean } = {},
  ) {
    this.writtenSectors = options.copyOnWrite ? new Map() : undefined;
    this.fd = openSync(path, options.copyOnWrite ? 'r' : 'r+');
    this.byteLength = fstatSync(this.fd).size;
    if (this.byteLength === 0 || this.byteLength % 512 !== 0) {
      closeSync(this.fd);
      throw new Error(`${path}: a disk image must be a non-empty multiple of 512 bytes, this one is ${this.byteLength}`);
    }
  }

  load(): void {
    this.onload?.({});
  }

  get(startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void): void {
    fn(this.read(startBytes, lengthBytes));
  }

  get_and_cache(startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void): void {
    fn(this.read(startBytes, lengthBytes));
  }

  get_from_cache(startBytes: number, lengthBytes: number): Uint8Array {
    return this.read(startBytes, lengthBytes);
  }

  set(startBytes: number, data: Uint8Array, fn: () => void): void {
    if (!this.writtenSectors) {
      writeSync(this.openFd(), data, 0, data.byteLength, startBytes);
    } else {
      if (startBytes % SECTOR_BYTES !== 0 || data.byteLength % SECTOR_BYTES !== 0) {
        throw new Error(`FileDisk: a write of ${data.byteLength} bytes at ${startBytes} is not whole sectors`);
      }
      // v86 writes whole sectors; `data` may be a view it reuses, so each sector is copied.
      for (let at = 0; at < data.byteLength; at += SECTOR_BYTES) {
        this.writtenSectors.set((startBytes + at) / SECTOR_BYTES, data.slice(at, at + SECTOR_BYTES));
      }
    }
    fn();
  }

  private read(startBytes: number, lengthBytes: number): Uint8Array {
    const data = new Uint8Array(lengthBytes);
    readSync(this.openFd(), data, 0, lengthBytes, startBytes);
    if (this.writtenSectors?.size) {
      const firstSector = Math.floor(startBytes / SECTOR_BYTES);
      const endSector = Math.ceil((startBytes + lengthBytes) / SECTOR_BYTES);
      for (let sector = firstSector; sector < endSector; sector++) {
        const written = this.writtenSectors.get(sector);
        if (!written) continue;
        const sectorStart = sector * SECTOR_BYTES;
        const from = Math.max(startBytes, sectorStart);
        const to = Math.min(startBytes + lengthBytes, sectorStart + SECTOR_BYTES);
        data.set(written.subarray(from - sectorStart, to - sectorStart), from - startBytes);
      }
    }
    return data;
  }

  get_state(): unknown[] {
    return [this.path];
  }

  set_state(): void {
    throw new Error('FileDisk: restoring a saved machine state is not supported');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path}: the disk was closed`);
    return this.fd;
  }
}
