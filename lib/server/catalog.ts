/**
 * The image catalog on the server: one folder per image under the catalog directory
 * (`catalog/<id>/manifest.json` + `catalog/<id>/disk.img`). Used by the HTTP image server and
 * by the pages. A folder whose manifest is invalid, whose disk is missing or whose disk does not
 * hash to the manifest's sha256 is not served; it is listed in `problems` with the reason.
 *
 * Not marked `server-only`: the custom server (server.ts) runs outside Next's bundler, where
 * that package's guard throws. It only ever runs in Node: it imports node:fs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseImageBaseUrl, parseManifest, publishImage, type ImageManifest, type PublishedImage } from '../images/manifest';

export interface CatalogEntry {
  manifest: ImageManifest;
  published: PublishedImage;
  diskPath: string;
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

// Hashing a disk costs ~0.5 s per 128 MiB, so a verified digest is remembered until the file's
// size or mtime changes.
const verifiedDigests = new Map<string, { sizeBytes: number; mtimeMs: number; sha256: string }>();

async function sha256OfFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Where clients fetch images from: this server (default) or LEAFLAB_IMAGE_BASE_URL. */
export function imageBaseUrl(): string | undefined {
  return parseImageBaseUrl(process.env.LEAFLAB_IMAGE_BASE_URL);
}

async function loadEntry(directory: string, folder: string, baseUrl: string | undefined): Promise<CatalogEntry> {
  const manifestPath = path.join(/*turbopackIgnore: true*/ directory, folder, 'manifest.json');
  const diskPath = path.join(/*turbopackIgnore: true*/ directory, folder, 'disk.img');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${manifestPath}: ${(error as Error).message}`);
  }
  const manifest = parseManifest(raw, manifestPath);
  if (manifest.id !== folder) throw new Error(`manifest id "${manifest.id}" differs from its folder name "${folder}"`);

  const diskStat = await stat(diskPath).catch(() => {
    throw new Error(`disk image ${diskPath} is missing`);
  });
  if (diskStat.size !== manifest.sizeBytes)
    throw new Error(`disk image is ${diskStat.size} bytes but the manifest says ${manifest.sizeBytes}`);

  const known = verifiedDigests.get(diskPath);
  let digest = known?.sha256;
  if (!known || known.sizeBytes !== diskStat.size || known.mtimeMs !== diskStat.mtimeMs) {
    digest = await sha256OfFile(diskPath);
    verifiedDigests.set(diskPath, { sizeBytes: diskStat.size, mtimeMs: diskStat.mtimeMs, sha256: digest });
  }
  if (digest !== manifest.sha256)
    throw new Error(`disk image hashes to ${digest} but the manifest promises ${manifest.sha256}; rebuild it or fix the manifest`);

  return { manifest, diskPath, published: publishImage(manifest, baseUrl) };
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
