/**
 * Verifies one catalog folder (`<catalog>/<id>/manifest.json`, `disk.img`, `chunks.sha256`):
 * the manifest is valid and names its folder, the table hashes to the manifest's
 * `chunkDigests.sha256`, and one read of the disk gives the manifest's size and sha256, exactly
 * that chunk table, and all-zero bytes in every chunk the manifest lists as zero. The disk is read
 * through a handle that stays open for serving (see verified-disk.ts).
 *
 * Messages name files by catalog folder ("catalog/<id>/disk.img"), never by absolute path:
 * visitors read them on the catalog page.
 *
 * Not marked `server-only`: the custom server (server.ts) runs outside Next's bundler, where
 * that package's guard throws. It only ever runs in Node.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CHUNK_TABLE_FILE, chunkTableLengthProblem } from '../images/chunk-table';
import { parseManifest, publishImage, type ImageManifest, type PublishedImage } from '../images/manifest';
import { DiskDigester, type DiskDigests } from './disk-digester';
import { fileIdentity, sameFileIdentity, VerifiedDisk, type FileIdentity } from './verified-disk';

export const DISK_FILE = 'disk.img';
export const MANIFEST_FILE = 'manifest.json';

export interface CatalogEntry {
  /** The folder name, which is the image id. */
  folder: string;
  manifest: ImageManifest;
  published: PublishedImage;
  /** The verified disk, open: every byte served under the digest is read and checked through it. */
  disk: VerifiedDisk;
}

export interface CatalogProblem {
  folder: string;
  message: string;
}

/** The identities of a folder's three files by path (undefined: missing), taken before it is verified. */
export interface FolderFingerprint {
  manifest?: FileIdentity;
  disk?: FileIdentity;
  table?: FileIdentity;
}

export type FolderState = { kind: 'entry'; entry: CatalogEntry; fingerprint: FolderFingerprint } | { kind: 'problem'; problem: CatalogProblem; fingerprint: FolderFingerprint };

/** How a folder is named to people: "catalog/<id>", relative to the catalog's parent. */
export function shownFolder(directory: string, folder: string): string {
  return path.join(path.basename(directory), folder);
}

async function identityAt(filePath: string): Promise<FileIdentity | undefined> {
  return stat(filePath).then(fileIdentity, () => undefined);
}

export async function folderFingerprint(directory: string, folder: string): Promise<FolderFingerprint> {
  const at = (file: string) => path.join(/*turbopackIgnore: true*/ directory, folder, file);
  const [manifest, disk, table] = await Promise.all([identityAt(at(MANIFEST_FILE)), identityAt(at(DISK_FILE)), identityAt(at(CHUNK_TABLE_FILE))]);
  return { ...(manifest && { manifest }), ...(disk && { disk }), ...(table && { table }) };
}

export function sameFingerprint(a: FolderFingerprint, b: FolderFingerprint): boolean {
  return sameFileIdentity(a.manifest, b.manifest) && sameFileIdentity(a.disk, b.disk) && sameFileIdentity(a.table, b.table);
}

/** Why the disk's digests break the manifest's promises, or undefined when they keep them all. */
function digestProblem(manifest: ImageManifest, digests: DiskDigests, chunkTable: Buffer, shown: string): string | undefined {
  if (digests.sha256 !== manifest.sha256)
    return `${shown}/${DISK_FILE} hashes to ${digests.sha256} but the manifest promises ${manifest.sha256}; rebuild it or fix the manifest`;
  if (!digests.chunkTable.equals(chunkTable)) {
    const tableSha256 = createHash('sha256').update(digests.chunkTable).digest('hex');
    return `${shown}/${CHUNK_TABLE_FILE} does not hold the disk's chunk digests (the disk's table hashes to ${tableSha256}); rebuild it`;
  }
  const zero = new Set<number>();
  for (const [first, count] of digests.zeroChunks) for (let i = first; i < first + count; i++) zero.add(i);
  for (const [first, count] of manifest.zeroChunks)
    for (let i = first; i < first + count; i++)
      if (!zero.has(i)) return `the manifest lists chunk ${i} as all-zero, but it holds data; rebuild it or fix "zeroChunks"`;
  return undefined;
}

/** One sequential read of the whole disk through `handle`. */
async function digestsThrough(handle: FileHandle, sizeBytes: number, chunkSizeBytes: number, shown: string): Promise<DiskDigests> {
  const digester = new DiskDigester(sizeBytes, chunkSizeBytes);
  // 2 MiB per step: few syscalls, and a background re-verification holds the event loop only
  // for the few milliseconds that hashing one step takes.
  const buffer = Buffer.allocUnsafe(Math.min(sizeBytes, 2 * 1024 * 1024));
  for (let offsetBytes = 0; offsetBytes < sizeBytes; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, sizeBytes - offsetBytes), offsetBytes);
    if (bytesRead === 0) throw new Error(`${shown}/${DISK_FILE} ended at ${offsetBytes} bytes while it was being verified`);
    digester.update(buffer.subarray(0, bytesRead));
    offsetBytes += bytesRead;
  }
  return digester.finish();
}

async function readManifest(directory: string, folder: string, shown: string): Promise<ImageManifest> {
  const manifestText = await readFile(path.join(/*turbopackIgnore: true*/ directory, folder, MANIFEST_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${shown}/${MANIFEST_FILE} (${error.code ?? error.message})`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (error) {
    throw new Error(`cannot read ${shown}/${MANIFEST_FILE}: ${(error as Error).message}`);
  }
  const manifest = parseManifest(raw, `${shown}/${MANIFEST_FILE}`);
  if (manifest.id !== folder) throw new Error(`manifest id "${manifest.id}" differs from its folder name "${folder}"`);
  return manifest;
}

async function readChunkTable(directory: string, folder: string, manifest: ImageManifest, shown: string): Promise<Buffer> {
  const chunkTable = await readFile(path.join(/*turbopackIgnore: true*/ directory, folder, CHUNK_TABLE_FILE)).catch(() => {
    throw new Error(`chunk table ${shown}/${CHUNK_TABLE_FILE} is missing; rebuild the image (npm run image, or npm run image:add)`);
  });
  const lengthProblem = chunkTableLengthProblem(chunkTable, manifest);
  if (lengthProblem) throw new Error(`${shown}/${CHUNK_TABLE_FILE}: ${lengthProblem}`);
  const tableSha256 = createHash('sha256').update(chunkTable).digest('hex');
  if (tableSha256 !== manifest.chunkDigests.sha256)
    throw new Error(`${shown}/${CHUNK_TABLE_FILE} hashes to ${tableSha256} but the manifest promises ${manifest.chunkDigests.sha256}`);
  return chunkTable;
}

async function openVerifiedDisk(directory: string, folder: string, manifest: ImageManifest, shown: string, onReading: () => void): Promise<VerifiedDisk> {
  const handle = await open(path.join(/*turbopackIgnore: true*/ directory, folder, DISK_FILE), 'r').catch(() => {
    throw new Error(`disk image ${shown}/${DISK_FILE} is missing`);
  });
  try {
    const identity = fileIdentity(await handle.stat());
    onReading();
    if (identity.sizeBytes !== manifest.sizeBytes)
      throw new Error(`disk image is ${identity.sizeBytes} bytes but the manifest says ${manifest.sizeBytes}`);
    const chunkTable = await readChunkTable(directory, folder, manifest, shown);
    const digests = await digestsThrough(handle, manifest.sizeBytes, manifest.chunkSizeBytes, shown);
    // A write during the pass may have mixed two versions into the digests: verify again later.
    if (!sameFileIdentity(identity, fileIdentity(await handle.stat())))
      throw new Error(`${shown}/${DISK_FILE} changed while it was being verified; it is verified again once it is left alone`);
    const problem = digestProblem(manifest, digests, chunkTable, shown);
    if (problem) throw new Error(problem);
    return new VerifiedDisk(handle, identity, manifest.sizeBytes, manifest.chunkSizeBytes, chunkTable);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Verifies a folder; never throws: what is wrong with it becomes its problem. `onReading` hears
 * when the disk is open and about to be read: a change seen before then is covered by this pass.
 */
export async function verifyFolder(directory: string, folder: string, baseUrl: string | undefined, onReading: () => void = () => undefined): Promise<FolderState> {
  const shown = shownFolder(directory, folder);
  // Taken before anything is read, so any later change shows up as a different fingerprint.
  const fingerprint = await folderFingerprint(directory, folder);
  try {
    const manifest = await readManifest(directory, folder, shown);
    const disk = await openVerifiedDisk(directory, folder, manifest, shown, onReading);
    return { kind: 'entry', entry: { folder, manifest, published: publishImage(manifest, baseUrl), disk }, fingerprint };
  } catch (error) {
    return { kind: 'problem', problem: { folder, message: (error as Error).message }, fingerprint };
  }
}
