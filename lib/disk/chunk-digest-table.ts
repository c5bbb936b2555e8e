/**
 * The image's chunk table in the client: the sha-256 of every chunk of the root (format in
 * lib/images/chunk-table.ts), so each chunk fetched over HTTP is checked before the guest sees
 * it (issue #11, "end-to-end integrity"). Whatever a server, CDN or proxy does to the bytes, a
 * chunk that does not hash to its entry is refused. The manifest names the table's own sha-256,
 * so the table is as trustworthy as the manifest.
 */
import { CHUNK_DIGEST_BYTES, chunkDigestIn, chunkTableLengthProblem } from '../images/chunk-table';
import { RangeSourceError } from './range-source-error';
import { sha256, toHex } from './sha256';

/** Where the table is published (PublishedImage.chunkDigestsUrl) and the sha-256 (hex) the manifest gives for it. */
export interface ChunkTableLocation {
  url: string;
  sha256: string;
}

export class ChunkDigestTable {
  private constructor(
    private readonly digests: Uint8Array,
    readonly chunkCount: number,
  ) {}

  /**
   * Checks table bytes against the manifest (length and sha-256) before trusting any entry.
   * `where` names the table in messages.
   */
  static async fromBytes(
    bytes: Uint8Array,
    geometry: { sizeBytes: number; chunkSizeBytes: number },
    expectedSha256: string,
    where: string,
  ): Promise<ChunkDigestTable> {
    const lengthProblem = chunkTableLengthProblem(bytes, geometry);
    if (lengthProblem !== undefined) {
      throw new RangeSourceError('bad-chunk-table', `${where}: ${lengthProblem}. It does not belong to this image; rebuild or republish the image.`);
    }
    const actualSha256 = toHex(await sha256(bytes));
    if (actualSha256 !== expectedSha256) {
      throw new RangeSourceError(
        'bad-chunk-table',
        `The chunk table ${where} has sha-256 ${actualSha256}, but the manifest names ${expectedSha256}: ` +
          'the server or a proxy altered it, or it belongs to another build of the image.',
      );
    }
    return new ChunkDigestTable(bytes, bytes.length / CHUNK_DIGEST_BYTES);
  }

  /**
   * The chunks of `bytes` (which holds chunks from `firstChunk` on, the last one possibly
   * short) whose sha-256 differs from the table's. Each chunk is hashed once; the hashes run
   * concurrently (Web Crypto does the work off the main thread).
   */
  async mismatchedChunks(firstChunk: number, bytes: Uint8Array, chunkSizeBytes: number): Promise<number[]> {
    const chunkTotal = Math.ceil(bytes.byteLength / chunkSizeBytes);
    const expected = Array.from({ length: chunkTotal }, (_, i) => chunkDigestIn(this.digests, firstChunk + i));
    const actual = await Promise.all(
      expected.map((_, i) => sha256(bytes.subarray(i * chunkSizeBytes, (i + 1) * chunkSizeBytes))),
    );
    const mismatched: number[] = [];
    actual.forEach((digest, i) => {
      if (!sameBytes(digest, expected[i]!)) mismatched.push(firstChunk + i);
    });
    return mismatched;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
