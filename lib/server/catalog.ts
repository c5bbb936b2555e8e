/**
 * The image catalog on the server: one folder per image under the catalog directory
 * (`catalog/<id>/manifest.json` + `disk.img` + `chunks.sha256`). A folder whose manifest is
 * invalid, whose disk is missing, or whose disk does not hash to the manifest's sha256, chunk
 * table and zero chunks is not served; it is listed in `problems` with the reason (see
 * catalog-folder.ts). The running server keeps one verified catalog for every module
 * (catalog-service.ts); `loadCatalog` verifies a folder from scratch, once.
 *
 * Not marked `server-only`: the custom server (server.ts) runs outside Next's bundler, where
 * that package's guard throws. It only ever runs in Node: it imports node:fs.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseImageBaseUrl } from '../images/manifest';
import { verifyFolder, type CatalogEntry, type CatalogProblem } from './catalog-folder';

export type { CatalogEntry, CatalogProblem } from './catalog-folder';

export interface Catalog {
  directory: string;
  /** The catalog folder as people are shown it ("catalog"), never an absolute path. */
  shownDirectory: string;
  /** Verified images by id, in folder order. */
  entries: Map<string, CatalogEntry>;
  problems: CatalogProblem[];
}

/** Where built images live; `LEAFLAB_CATALOG_DIR` points elsewhere (tests, other deployments). */
export function catalogDirectory(): string {
  // turbopackIgnore: the catalog is data read at run time, not a file to trace into the build.
  return path.resolve(/*turbopackIgnore: true*/ process.env.LEAFLAB_CATALOG_DIR ?? path.join(process.cwd(), 'catalog'));
}

/** Where clients fetch images from: this server (default) or LEAFLAB_IMAGE_BASE_URL. */
export function imageBaseUrl(): string | undefined {
  return parseImageBaseUrl(process.env.LEAFLAB_IMAGE_BASE_URL);
}

export function emptyCatalog(directory: string): Catalog {
  return { directory, shownDirectory: path.basename(directory), entries: new Map(), problems: [] };
}

/** The image folders of the catalog, sorted (hidden ones, such as image:add's staging, skipped); undefined: no catalog yet. */
export async function listImageFolders(directory: string): Promise<string[] | undefined> {
  try {
    const children = await readdir(/*turbopackIgnore: true*/ directory, { withFileTypes: true });
    return children
      .filter((child) => child.isDirectory() && !child.name.startsWith('.'))
      .map((child) => child.name)
      .sort();
  } catch {
    return undefined; // No catalog yet: the pages say which command builds it.
  }
}

/** Verifies every folder, one after the other (each disk is read once). Close it with `closeCatalog`. */
export async function loadCatalog(directory = catalogDirectory(), baseUrl = imageBaseUrl()): Promise<Catalog> {
  const catalog = emptyCatalog(directory);
  for (const folder of (await listImageFolders(directory)) ?? []) {
    const state = await verifyFolder(directory, folder, baseUrl);
    if (state.kind === 'entry') catalog.entries.set(folder, state.entry);
    else catalog.problems.push(state.problem);
  }
  return catalog;
}

/** Releases the catalog's open disks (each closes once the replies reading it are done). */
export async function closeCatalog(catalog: Catalog): Promise<void> {
  await Promise.all([...catalog.entries.values()].map((entry) => entry.disk.retire()));
}
