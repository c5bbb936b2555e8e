/**
 * Writes catalog/<id>/manifest.json for a built disk: the recipe's image.json (id, title,
 * description, boot settings, chunk size, what is inside) plus what only the disk can tell
 * (size, sha-256, zero chunks, partitions) plus the build's facts (package versions). Keys are
 * sorted recursively so the file is byte-stable across builds.
 *
 * Usage: tsx image/tools/write-manifest.ts RECIPE-JSON DISK OUT-JSON [FACTS-JSON]
 *   FACTS-JSON: { "build": {…}, "contents": ["…"] } from the builder (optional)
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseManifest, zeroChunkCount, type ImageManifest } from '../../lib/images/manifest';
import { readPartitions, scanDisk } from './disk-facts';

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
export function writeManifestFile(outPath: string, manifest: object): void {
  const temporaryPath = path.join(path.dirname(outPath), `.${path.basename(outPath)}.tmp`);
  writeFileSync(temporaryPath, manifestJson(manifest));
  renameSync(temporaryPath, outPath);
}

function main(): void {
  const [recipePath, diskPath, outPath, factsPath] = process.argv.slice(2);
  if (!recipePath || !diskPath || !outPath) throw new Error('usage: write-manifest.ts RECIPE-JSON DISK OUT-JSON [FACTS-JSON]');
  const recipe = JSON.parse(readFileSync(recipePath, 'utf8')) as Record<string, unknown>;
  const facts = factsPath ? (JSON.parse(readFileSync(factsPath, 'utf8')) as Record<string, unknown>) : {};
  const scan = scanDisk(diskPath, Number(recipe.chunkSizeBytes));
  const { partitions } = readPartitions(diskPath);
  const manifest = { ...recipe, ...facts, ...scan, partitions };
  // The same check the server runs: a builder never publishes a manifest the catalog refuses.
  const checked: ImageManifest = parseManifest(manifest, outPath);
  writeManifestFile(outPath, manifest);
  console.log(`manifest: ${outPath} (sha256 ${checked.sha256}, ${zeroChunkCount(checked)} zero chunks)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) main();
