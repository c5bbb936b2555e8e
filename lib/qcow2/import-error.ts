/**
 * Why a qcow2 file cannot be imported, in words a user can act on. openQcow2Overlay throws
 * only this (for anything about the file) so the UI can show `message` as-is.
 */
export class Qcow2ImportError extends Error {
  override readonly name = 'Qcow2ImportError';
}

export interface RandomAccessFile {
  sizeBytes: number;
  read(offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
}

/** Reads `lengthBytes` at `offsetBytes`, refusing (as truncated) a range the file does not hold. */
export async function readExactly(file: RandomAccessFile, offsetBytes: number, lengthBytes: number, what: string): Promise<Uint8Array> {
  if (offsetBytes + lengthBytes > file.sizeBytes) {
    throw new Qcow2ImportError(`The qcow2 file is truncated or corrupt: its ${what} (bytes ${offsetBytes} to ${offsetBytes + lengthBytes}) lies past the end of the ${file.sizeBytes}-byte file.`);
  }
  const bytes = await file.read(offsetBytes, lengthBytes);
  if (bytes.length !== lengthBytes) {
    throw new Qcow2ImportError(`Could not read the qcow2 file's ${what}: asked for ${lengthBytes} bytes at ${offsetBytes}, got ${bytes.length}. Was the file changed while importing?`);
  }
  return bytes;
}
