/**
 * Writes catalog/<id>/manifest.json for a built disk: the recipe's image.json (id, title,
 * description, boot settings, chunk size, what is inside) plus what only the disk can tell
 * (size, sha-256, zero chunks, partitions) plus the build's facts (package versions). Keys are
 * sorted recursively so the file is byte-stable across builds. Beside it goes the chunk table,
 * catalog/<id>/chunks.sha256 (every chunk's sha-256, see lib/images/chunk-table.ts), which the
 * manifest names with its digest.
 *
 * Usage: tsx image/tools/write-manifest.ts RECIPE-JSON DISK OUT-DIR/manifest.json [FACTS-JSON]
 *   FACTS-JSON: { "build": {…}, "contents": ["…"] } from the builder (optional)
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHUNK_TABLE_FILE } from '../../lib/images/chunk-table';
import { parseManifest, zeroChunkCount, type ImageManifest } from '../../lib/images/manifest';
import { readPartitions, scanDisk, type DiskScan } from './disk-facts';

/** Recursively sorted object keys (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).sort().map((key) => [key, sortKeys(record[key])]));
  }
  return value;
}

/** Pretty-printed with sorted keys, each [start, count] pair on one line. */
export function manifestJson(manifest: object): string {
  return JSON.stringify(sortKeys(manifest), null, 2).replace(/\[\s+(\d+),\s+(\d+)\s+\]/g, '[$1, $2]') + '\n';
}

/** Writes the file next to its final name first, so a reader never sees half of it. */
export function writeFileAtomically(outPath: string, contents: string | Uint8Array): void {
  const temporaryPath = path.join(path.dirname(outPath), `.${path.basename(outPath)}.tmp`);
  writeFileSync(temporaryPath, contents);
  renameSync(temporaryPath, outPath);
}

/**
 * Writes an image's chunk table and then its manifest (`fields` plus the disk's scan and the
 * table's digest) into `folder`, after the same check the server runs: a tool never publishes a
 * manifest the catalog refuses. The table goes first, so a new manifest never names a table that
 * is not there yet. `source` names the manifest in error messages.
 */
export function writeImageFiles(folder: string, fields: Record<string, unknown>, scan: DiskScan, source: string): ImageManifest {
  const { chunkTable, ...diskFacts } = scan;
  const manifest = {
    ...fields,
    ...diskFacts,
    chunkDigests: { file: CHUNK_TABLE_FILE, sha256: createHash('sha256').update(chunkTable).digest('hex') },
  };
  const checked = parseManifest(manifest, source);
  writeFileAtomically(path.join(folder, CHUNK_TABLE_FILE), chunkTable);
  writeFileAtomically(path.join(folder, 'manifest.json'), manifestJson(manifest));
  return checked;
}

function main(): void {
  const [recipePath, diskPath, outPath, factsPath] = process.argv.slice(2);
  if (!recipePath || !diskPath || !outPath || path.basename(outPath) !== 'manifest.json')
    throw new Error('usage: write-manifest.ts RECIPE-JSON DISK OUT-DIR/manifest.json [FACTS-JSON]');
  const recipe = JSON.parse(readFileSync(recipePath, 'utf8')) as Record<string, unknown>;
  const facts = factsPath ? (JSON.parse(readFileSync(factsPath, 'utf8')) as Record<string, unknown>) : {};
  const scan = scanDisk(diskPath, Number(recipe.chunkSizeBytes));
  const { partitions } = readPartitions(diskPath);
  const checked = writeImageFiles(path.dirname(outPath), { ...recipe, ...facts, partitions }, scan, outPath);
  console.log(`manifest: ${outPath} (sha256 ${checked.sha256}, ${zeroChunkCount(checked)} zero chunks, chunk table ${checked.chunkDigests.sha256})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) main();
