/**
 * Catalog folders made by the server tests: a disk, its manifest and its chunk table, computed
 * here the obvious way (one sha-256 per chunk) rather than by the code under test.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync, type BigIntStats } from 'node:fs';
import path from 'node:path';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The raw sha-256 of each chunk, concatenated. */
export function chunkTableOf(disk: Buffer, chunkSizeBytes: number): Buffer {
  const digests: Buffer[] = [];
  for (let start = 0; start < disk.length; start += chunkSizeBytes)
    digests.push(createHash('sha256').update(disk.subarray(start, start + chunkSizeBytes)).digest());
  return Buffer.concat(digests);
}

/** A manifest that describes `disk` truthfully (no zero chunks listed unless overridden). */
export function manifestFor(id: string, disk: Buffer, chunkSizeBytes: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `Image ${id}`,
    description: '',
    sizeBytes: disk.length,
    sha256: sha256Hex(disk),
    chunkSizeBytes,
    zeroChunks: [],
    chunkDigests: { file: 'chunks.sha256', sha256: sha256Hex(chunkTableOf(disk, chunkSizeBytes)) },
    boot: { memoryMiB: 64, vgaMemoryMiB: 8, acpi: false },
    partitions: [],
    ...overrides,
  };
}

/** Writes a file beside its final name, then renames it into place (as the image tools do). */
export function replaceFile(filePath: string, contents: Uint8Array | string): void {
  const temporaryPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.new`);
  writeFileSync(temporaryPath, contents);
  renameSync(temporaryPath, filePath);
}

/**
 * Writes catalog/<folder>: the disk, the manifest (or raw text) and the table (null: none;
 * undefined: the disk's own), each by rename, the table and disk before the manifest.
 */
export function writeImageFolder(
  directory: string,
  folder: string,
  disk: Buffer | undefined,
  manifest: Record<string, unknown> | string,
  { chunkSizeBytes = 4096, table }: { chunkSizeBytes?: number; table?: Buffer | null } = {},
): void {
  mkdirSync(path.join(directory, folder), { recursive: true });
  const tableBytes = table === undefined ? (disk ? chunkTableOf(disk, chunkSizeBytes) : undefined) : table;
  if (tableBytes) replaceFile(path.join(directory, folder, 'chunks.sha256'), tableBytes);
  if (disk) replaceFile(path.join(directory, folder, 'disk.img'), disk);
  replaceFile(path.join(directory, folder, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
}

/**
 * Puts a file's atime and mtime back, to the nanosecond, as `stats` recorded them: what
 * `cp -p` and `rsync -a` leave behind. GNU touch (utimensat); Node's utimes rounds to microseconds.
 */
export function restoreTimes(filePath: string, stats: BigIntStats): void {
  const stamp = (ns: bigint) => `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
  execFileSync('touch', ['-a', '-d', stamp(stats.atimeNs), filePath]);
  execFileSync('touch', ['-m', '-d', stamp(stats.mtimeNs), filePath]);
}
