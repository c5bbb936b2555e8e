/**
 * The image catalog on the server: one folder per image under the catalog directory
 * (`catalog/<id>/manifest.json` + `catalog/<id>/disk.img` + `catalog/<id>/chunks.sha256`). Used
 * by the HTTP image server and by the pages. A folder whose manifest is invalid, whose disk is
 * missing, or whose disk does not hash to the manifest's sha256, chunk table and zero chunks is
 * not served; it is listed in `problems` with the reason.
 *
 * Not marked `server-only`: the custom server (server.ts) runs outside Next's bundler, where
 * that package's guard throws. It only ever runs in Node: it imports node:fs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CHUNK_TABLE_FILE, chunkTableLengthProblem } from '../images/chunk-table';
import { parseImageBaseUrl, parseManifest, publishImage, type ImageManifest, type PublishedImage } from '../images/manifest';
import { DiskDigester, type DiskDigests } from './disk-digester';

export interface CatalogEntry {
  manifest: ImageManifest;
  published: PublishedImage;
  diskPath: string;
  /** The chunk table, checked against the manifest and the disk: what /images/<id>/<sha256>.chunks serves. */
  chunkTable: Buffer;
}

export interface CatalogProblem {
  folder: string;
  message: string;
}

export interface Catalog {
  directory: string;
  entries: Map<string, CatalogEntry>;
  problems: CatalogProblem[];
}

/** Where built images live; `LEAFLAB_CATALOG_DIR` points elsewhere (tests, other deployments). */
export function catalogDirectory(): string {
  // turbopackIgnore: the catalog is data read at run time, not a file to trace into the build.
  return path.resolve(/*turbopackIgnore: true*/ process.env.LEAFLAB_CATALOG_DIR ?? path.join(process.cwd(), 'catalog'));
}

// Hashing a disk costs ~0.5 s per 128 MiB, so its digests are remembered until the file's size
// or mtime changes.
const verifiedDigests = new Map<string, { sizeBytes: number; mtimeMs: number; chunkSizeBytes: number; digests: DiskDigests }>();

/** The whole-disk sha256, the chunk table and the all-zero chunks, from one read of the file. */
async function digestsOfFile(filePath: string, sizeBytes: number, chunkSizeBytes: number): Promise<DiskDigests> {
  const digester = new DiskDigester(sizeBytes, chunkSizeBytes);
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) digester.update(chunk as Buffer);
  return digester.finish();
}

/** Why the disk's digests break the manifest's promises, or undefined when they keep them all. */
function digestProblem(manifest: ImageManifest, digests: DiskDigests, chunkTable: Buffer): string | undefined {
  if (digests.sha256 !== manifest.sha256)
    return `disk image hashes to ${digests.sha256} but the manifest promises ${manifest.sha256}; rebuild it or fix the manifest`;
  if (!digests.chunkTable.equals(chunkTable)) {
    const tableSha256 = createHash('sha256').update(digests.chunkTable).digest('hex');
    return `${CHUNK_TABLE_FILE} does not hold the disk's chunk digests (the disk's table hashes to ${tableSha256}); rebuild it`;
  }
  const zero = new Set<number>();
  for (const [first, count] of digests.zeroChunks) for (let i = first; i < first + count; i++) zero.add(i);
  for (const [first, count] of manifest.zeroChunks)
    for (let i = first; i < first + count; i++)
      if (!zero.has(i)) return `the manifest lists chunk ${i} as all-zero, but it holds data; rebuild it or fix "zeroChunks"`;
  return undefined;
}

/** Where clients fetch images from: this server (default) or LEAFLAB_IMAGE_BASE_URL. */
export function imageBaseUrl(): string | undefined {
  return parseImageBaseUrl(process.env.LEAFLAB_IMAGE_BASE_URL);
}

async function loadEntry(directory: string, folder: string, baseUrl: string | undefined): Promise<CatalogEntry> {
  // Messages name files by catalog folder ("catalog/<id>/disk.img"), never by absolute path:
  // visitors read them on the catalog page.
  const shownFolder = path.join(path.basename(directory), folder);
  const manifestPath = path.join(/*turbopackIgnore: true*/ directory, folder, 'manifest.json');
  const diskPath = path.join(/*turbopackIgnore: true*/ directory, folder, 'disk.img');
  const tablePath = path.join(/*turbopackIgnore: true*/ directory, folder, CHUNK_TABLE_FILE);
  const manifestText = await readFile(manifestPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${shownFolder}/manifest.json (${error.code ?? error.message})`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (error) {
    throw new Error(`cannot read ${shownFolder}/manifest.json: ${(error as Error).message}`);
  }
  const manifest = parseManifest(raw, `${shownFolder}/manifest.json`);
  if (manifest.id !== folder) throw new Error(`manifest id "${manifest.id}" differs from its folder name "${folder}"`);

  const diskStat = await stat(diskPath).catch(() => {
    throw new Error(`disk image ${shownFolder}/disk.img is missing`);
  });
  if (diskStat.size !== manifest.sizeBytes)
    throw new Error(`disk image is ${diskStat.size} bytes but the manifest says ${manifest.sizeBytes}`);

  const chunkTable = await readFile(tablePath).catch(() => {
    throw new Error(`chunk table ${shownFolder}/${CHUNK_TABLE_FILE} is missing; rebuild the image (npm run image, or npm run image:add)`);
  });
  const lengthProblem = chunkTableLengthProblem(chunkTable, manifest);
  if (lengthProblem) throw new Error(`${shownFolder}/${CHUNK_TABLE_FILE}: ${lengthProblem}`);
  const tableSha256 = createHash('sha256').update(chunkTable).digest('hex');
  if (tableSha256 !== manifest.chunkDigests.sha256)
    throw new Error(`${shownFolder}/${CHUNK_TABLE_FILE} hashes to ${tableSha256} but the manifest promises ${manifest.chunkDigests.sha256}`);

  const known = verifiedDigests.get(diskPath);
  let digests = known?.digests;
  if (!digests || known?.sizeBytes !== diskStat.size || known.mtimeMs !== diskStat.mtimeMs || known.chunkSizeBytes !== manifest.chunkSizeBytes) {
    digests = await digestsOfFile(diskPath, manifest.sizeBytes, manifest.chunkSizeBytes);
    verifiedDigests.set(diskPath, { sizeBytes: diskStat.size, mtimeMs: diskStat.mtimeMs, chunkSizeBytes: manifest.chunkSizeBytes, digests });
  }
  const problem = digestProblem(manifest, digests, chunkTable);
  if (problem) throw new Error(problem);

  return { manifest, diskPath, chunkTable, published: publishImage(manifest, baseUrl) };
}

export async function loadCatalog(directory = catalogDirectory(), baseUrl = imageBaseUrl()): Promise<Catalog> {
  const catalog: Catalog = { directory, entries: new Map(), problems: [] };
  let folders: string[];
  try {
    folders = (await readdir(/*turbopackIgnore: true*/ directory, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return catalog; // No catalog yet: the pages say which command builds it.
  }
  for (const folder of folders.sort()) {
    if (folder.startsWith('.')) continue;
    try {
      const entry = await loadEntry(directory, folder, baseUrl);
      catalog.entries.set(entry.manifest.id, entry);
    } catch (error) {
      catalog.problems.push({ folder, message: (error as Error).message });
    }
  }
  return catalog;
}
