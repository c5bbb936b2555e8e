/**
 * "Download disk": the merged disk (the leaf over the root) as one raw image file, for a
 * student to keep their work or to open it elsewhere (QEMU, loop mount). Read piece by piece
 * with `peek`, so the copy is not counted as guest I/O and the page holds the pieces, not one
 * giant array, until the browser assembles the Blob.
 */
import type { UnionDevice } from '../disk';

/** 4 MiB: few enough pieces for a Blob, small enough that progress moves. */
const EXPORT_PIECE_BYTES = 4 * 1024 * 1024;

export async function exportDiskImage(
  device: Pick<UnionDevice, 'sizeBytes' | 'peek'>,
  onProgress: (copiedBytes: number, totalBytes: number) => void,
  signal?: AbortSignal,
): Promise<Blob> {
  const pieces: Uint8Array[] = [];
  for (let offsetBytes = 0; offsetBytes < device.sizeBytes; offsetBytes += EXPORT_PIECE_BYTES) {
    const lengthBytes = Math.min(EXPORT_PIECE_BYTES, device.sizeBytes - offsetBytes);
    pieces.push(await device.peek(offsetBytes, lengthBytes, signal));
    onProgress(offsetBytes + lengthBytes, device.sizeBytes);
  }
  return new Blob(pieces as BlobPart[], { type: 'application/octet-stream' });
}
