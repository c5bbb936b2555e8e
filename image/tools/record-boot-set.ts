/**
 * Records an image's boot working set into its manifest: boots the catalog folder's disk under
 * v86 in Node, as the lab boots it (SeaBIOS, the disk's own boot loader, the manifest's machine),
 * logs which root chunks the guest reads until its first shell prompt, and stores them as the
 * manifest's `bootSet` (see lib/images/boot-set.ts) with the disk's sha-256.
 * The disk file is never changed: the guest's writes stay in memory, and a sector written before
 * it is read does not count (in the lab it comes from the leaf).
 *
 * The set is stored in ascending chunk order, not in the order the boot first read the chunks:
 * which chunks a boot reads is repeatable (two boots of each image read exactly the same ones),
 * but once several guest processes start, their order is not (two boots of debian-lab put 98 of
 * 379 chunks at other places, up to 77 places away), and the manifest must come out of every
 * build byte for byte the same (the build tests compare it). On every image the boot loader and
 * kernel lie before the root filesystem, so ascending order still starts with what boot reads
 * first, which is what the client's request order needs (lib/disk/boot-prefetch.ts).
 *
 * With --boots N the image is booted N times and the set is their union, in case a boot does
 * not read exactly the same chunks; the log says how much the boots differed.
 *
 * Usage: tsx image/tools/record-boot-set.ts CATALOG-FOLDER [--boots 1] [--timeout-s 600] [--dry-run] [--echo]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { V86 } from 'v86';
import { chunkRunsOf, type BootSet } from '../../lib/images/boot-set';
import { parseManifest, type ImageManifest } from '../../lib/images/manifest';
import { ZeroChunkRuns } from '../../lib/disk/zero-chunks';
import { SHELL_PROMPT_AT_END } from '../../lib/lab/serial-log';
import { BootReadLog, RecordingFileDisk } from './boot-read-log';
import { bootDiskV86Options } from './headless-v86';
import { manifestJson, writeFileAtomically } from './write-manifest';

export interface BootRecording {
  /** Root chunks in first-read order. */
  chunks: number[];
  promptAfterMs: number;
}

/** Boots `diskPath` once and returns the root chunks read before the first shell prompt. */
export async function recordBootChunks(
  diskPath: string,
  manifest: ImageManifest,
  options: { timeoutMs: number; echo?: boolean },
): Promise<BootRecording> {
  const chunkCount = Math.ceil(manifest.sizeBytes / manifest.chunkSizeBytes);
  const zeroChunks = new ZeroChunkRuns(manifest.zeroChunks, chunkCount);
  const log = new BootReadLog(manifest.chunkSizeBytes, (chunkIndex) => zeroChunks.has(chunkIndex));
  const disk = new RecordingFileDisk(diskPath, log);
  const emulator = new V86(bootDiskV86Options(disk, manifest.boot));
  const startedAtMs = Date.now();
  let output = '';
  try {
    return await new Promise<BootRecording>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${diskPath}: no shell prompt after ${options.timeoutMs / 1000} s; last output:\n${output.slice(-2000)}`)),
        options.timeoutMs,
      );
      emulator.add_listener('serial0-output-byte', (byte: number) => {
        const char = String.fromCharCode(byte);
        if (options.echo) process.stderr.write(char);
        output += char;
        if (!SHELL_PROMPT_AT_END.test(output)) return;
        clearTimeout(timer);
        // A copy now: the guest keeps running until destroy() and may read more.
        resolve({ chunks: [...log.chunksInReadOrder], promptAfterMs: Date.now() - startedAtMs });
      });
    });
  } finally {
    await emulator.destroy();
    disk.close();
  }
}

/** The first list's order, then every chunk a later list adds, in its order. */
export function unionInFirstReadOrder(lists: ReadonlyArray<readonly number[]>): number[] {
  const seen = new Set<number>();
  const union: number[] = [];
  for (const list of lists) {
    for (const chunkIndex of list) {
      if (seen.has(chunkIndex)) continue;
      seen.add(chunkIndex);
      union.push(chunkIndex);
    }
  }
  return union;
}

/** How two recordings differ, for the log: chunks only one read, and whether the shared ones came in the same order. */
export function describeDifference(first: readonly number[], second: readonly number[]): string {
  const inFirst = new Set(first);
  const inSecond = new Set(second);
  const onlyFirst = first.filter((chunk) => !inSecond.has(chunk)).length;
  const onlySecond = second.filter((chunk) => !inFirst.has(chunk)).length;
  const sharedFirst = first.filter((chunk) => inSecond.has(chunk));
  const sharedSecond = second.filter((chunk) => inFirst.has(chunk));
  const moved = sharedFirst.filter((chunk, i) => sharedSecond[i] !== chunk).length;
  if (onlyFirst === 0 && onlySecond === 0 && moved === 0) return 'identical';
  return `${onlyFirst} chunk(s) only in the first, ${onlySecond} only in the second, ${moved} of ${sharedFirst.length} shared ones at another place in the order`;
}

export interface RecordOptions {
  /** Boots to record; the set is their union. */
  boots: number;
  timeoutMs: number;
  echo?: boolean;
  /** Only print the set instead of writing it into the manifest. */
  dryRun?: boolean;
}

/**
 * Boots the image in `folder` (disk.img, manifest.json) `boots` times and writes the union of
 * what the boots read into its manifest as `bootSet`. Returns the set. Progress goes to stderr.
 */
export async function recordBootSetInto(folder: string, options: RecordOptions): Promise<BootSet> {
  const manifestPath = path.join(folder, 'manifest.json');
  const raw = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  const manifest = parseManifest(raw, manifestPath);

  const recordings: BootRecording[] = [];
  for (let boot = 0; boot < options.boots; boot += 1) {
    const recording = await recordBootChunks(path.join(folder, 'disk.img'), manifest, options);
    const against = recordings[0] ? `; against the first boot: ${describeDifference(recordings[0].chunks, recording.chunks)}` : '';
    console.error(`boot set: boot ${boot + 1} reached the prompt after ${(recording.promptAfterMs / 1000).toFixed(1)} s reading ${recording.chunks.length} chunks${against}`);
    recordings.push(recording);
  }
  // Stored in ascending chunk order, not first-read order: see the file comment.
  const chunks = unionInFirstReadOrder(recordings.map((recording) => recording.chunks)).sort((a, b) => a - b);
  const bootSet: BootSet = { imageSha256: manifest.sha256, chunkSizeBytes: manifest.chunkSizeBytes, runs: chunkRunsOf(chunks) };
  if (options.dryRun) return bootSet;
  const updated = { ...raw, bootSet };
  parseManifest(updated, manifestPath); // the catalog would refuse anything else
  writeFileAtomically(manifestPath, manifestJson(updated));
  const mib = ((chunks.length * manifest.chunkSizeBytes) / 1024 / 1024).toFixed(1);
  console.error(`boot set: ${manifestPath}: ${chunks.length} chunks (${mib} MiB) in ${bootSet.runs.length} runs`);
  return bootSet;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      boots: { type: 'string', default: '1' },
      'timeout-s': { type: 'string', default: '600' },
      'dry-run': { type: 'boolean', default: false },
      echo: { type: 'boolean', default: false },
    },
  });
  const folder = positionals[0];
  const boots = Number(values.boots);
  if (!folder || positionals.length !== 1 || !Number.isSafeInteger(boots) || boots < 1)
    throw new Error('usage: record-boot-set.ts CATALOG-FOLDER [--boots N] [--timeout-s 600] [--dry-run] [--echo]');
  const bootSet = await recordBootSetInto(folder, { boots, timeoutMs: Number(values['timeout-s']) * 1000, echo: values.echo, dryRun: values['dry-run'] });
  if (values['dry-run']) console.log(JSON.stringify(bootSet));
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((error: unknown) => {
    console.error(`record-boot-set: error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
