/**
 * The chunk table of a root image: the SHA-256 of every chunk of the disk, so that a reader of a
 * few chunks can check each one without the whole image (the manifest's `sha256` covers only the
 * whole). It lives beside the disk as catalog/<id>/chunks.sha256, and the manifest names it with
 * its own SHA-256, so one trusted manifest vouches for every chunk.
 *
 * Format: for chunk i in 0..chunkCount-1, the raw 32-byte SHA-256 of disk bytes
 * [i * chunkSizeBytes, min(sizeBytes, (i + 1) * chunkSizeBytes)), concatenated; nothing else.
 * The last chunk is shorter when the size is not a whole number of chunks.
 *
 * Plain TypeScript with no Node or DOM imports: the server, the image tools and the browser use it.
 */

/** The table's file name in the image's catalog folder (and on a static host). */
export const CHUNK_TABLE_FILE = 'chunks.sha256';

/** Bytes of one digest in the table. */
export const CHUNK_DIGEST_BYTES = 32;

interface ChunkGeometry {
  sizeBytes: number;
  chunkSizeBytes: number;
}

/** How many chunks the disk has (the last may be short). */
export function chunkCountOf({ sizeBytes, chunkSizeBytes }: ChunkGeometry): number {
  return Math.ceil(sizeBytes / chunkSizeBytes);
}

/** The exact length of the disk's chunk table. */
export function chunkTableSizeBytes(geometry: ChunkGeometry): number {
  return chunkCountOf(geometry) * CHUNK_DIGEST_BYTES;
}

/** Disk bytes [startBytes, endBytes) of chunk `chunkIndex`. */
export function chunkByteRange(geometry: ChunkGeometry, chunkIndex: number): { startBytes: number; endBytes: number } {
  if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= chunkCountOf(geometry))
    throw new RangeError(`chunk ${chunkIndex} is outside the disk's ${chunkCountOf(geometry)} chunks`);
  const startBytes = chunkIndex * geometry.chunkSizeBytes;
  return { startBytes, endBytes: Math.min(geometry.sizeBytes, startBytes + geometry.chunkSizeBytes) };
}

/** The 32-byte digest of chunk `chunkIndex` (a view into `table`, not a copy). */
export function chunkDigestIn(table: Uint8Array, chunkIndex: number): Uint8Array {
  const startBytes = chunkIndex * CHUNK_DIGEST_BYTES;
  if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0 || startBytes + CHUNK_DIGEST_BYTES > table.length)
    throw new RangeError(`chunk ${chunkIndex} has no digest in a table of ${table.length / CHUNK_DIGEST_BYTES} chunks`);
  return table.subarray(startBytes, startBytes + CHUNK_DIGEST_BYTES);
}

/** Why `table` cannot be this disk's chunk table (only its length can be told without hashing), or undefined. */
export function chunkTableLengthProblem(table: Uint8Array, geometry: ChunkGeometry): string | undefined {
  const expectedBytes = chunkTableSizeBytes(geometry);
  if (table.length === expectedBytes) return undefined;
  return `the chunk table is ${table.length} bytes, but a ${geometry.sizeBytes}-byte disk in ${geometry.chunkSizeBytes}-byte chunks needs ${chunkCountOf(geometry)} digests of ${CHUNK_DIGEST_BYTES} bytes (${expectedBytes} bytes)`;
}
