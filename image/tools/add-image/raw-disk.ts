/**
 * A raw disk given to `npm run image:add`: its first bytes, the boot signature a PC BIOS needs,
 * and a copy that leaves all-zero pieces as holes (most of a fresh disk is zeros, and the catalog
 * need not store them).
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { SECTOR_SIZE_BYTES } from '../../../lib/images/manifest';
import { AddImageError } from './add-image-error';

const MIB = 1024 * 1024;

export function readHead(filePath: string, lengthBytes: number): Uint8Array {
  const fd = openSync(filePath, 'r');
  try {
    const head = new Uint8Array(lengthBytes);
    return head.subarray(0, readSync(fd, head, 0, lengthBytes, 0));
  } finally {
    closeSync(fd);
  }
}

export function requireBootSector(diskPath: string, fileName: string): void {
  const sector0 = readHead(diskPath, SECTOR_SIZE_BYTES);
  if (sector0[510] !== 0x55 || sector0[511] !== 0xaa) {
    throw new AddImageError(
      `${fileName} has no boot signature (0x55AA) in its first sector, so a PC BIOS cannot boot it. If it is a bare filesystem rather than a partitioned disk, pack its files into a tarball and add that instead.`,
    );
  }
}

export /** Copies a raw disk, leaving all-zero pieces as holes (most of a fresh disk is zeros). */
function copySparse(fromPath: string, toPath: string): void {
  const from = openSync(fromPath, 'r');
  const to = openSync(toPath, 'w');
  try {
    const sizeBytes = fstatSync(from).size;
    const buffer = Buffer.alloc(8 * MIB);
    for (let offsetBytes = 0; offsetBytes < sizeBytes; ) {
      const readBytes = readSync(from, buffer, 0, Math.min(buffer.length, sizeBytes - offsetBytes), offsetBytes);
      if (readBytes === 0) throw new AddImageError(`${fromPath} ended early while it was being read`);
      const piece = buffer.subarray(0, readBytes);
      if (piece.some((byte) => byte !== 0)) writeSync(to, piece, 0, readBytes, offsetBytes);
      offsetBytes += readBytes;
    }
    ftruncateSync(to, sizeBytes);
  } finally {
    closeSync(from);
    closeSync(to);
  }
}

