/**
 * Records an image's boot working set into its manifest: boots the catalog folder's disk under
 * v86 in Node, as the lab boots it (SeaBIOS, the disk's own boot loader, the manifest's machine),
 * logs which root chunks the guest reads until its first shell prompt, and stores them as the
 * manifest's `bootSet` (see lib/images/boot-set.ts) with the disk's sha-256. When the manifest
 * declares `warmCommands` (from the recipe's image.json: what its lessons run first), it then
 * types each at the prompt and stores the chunks they read besides the boot set as `warmSet`,
 * which the lab fetches once the boot set is in (lib/disk/boot-prefetch.ts).
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
 * Usage: tsx image/tools/record-boot-set.ts CATALOG-FOLDER [--boots 1] [--timeout-s 600] [--dry-run] [--echo] [--warm-command CMD]…
 *   --warm-command (repeatable) replaces the manifest's warmCommands for this recording.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
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
  /** Root chunks in first-read order, up to the first shell prompt. */
  chunks: number[];
  promptAfterMs: number;
  /** Root chunks first read after the prompt, while the warm commands ran (first-read order). */
  warmChunks: number[];
  /** The longest time the guest read no new chunk before its prompt (for choosing the idle limit). */
  longestIdleBeforePromptMs: number;
}

/**
 * How long a boot may read no new chunk and print nothing on serial0 before the recorder gives
 * up without a prompt: 120 s. A boot that is going somewhere does one or the other every few
 * seconds, except while the kernel unpacks and starts: on leaflab-linux that pause took 10-37 s,
 * and 61 s once, with the machine loaded by an image build and three other test runs (each
 * recording logs its longest pause). 120 s is twice that worst case. A disk that halts, boots
 * nothing or sits at a graphical screen does neither again, so the recorder gives up after
 * 120 s instead of the 240 s image:add waited; a disk without a boot signature at once.
 */
export const BOOT_IDLE_LIMIT_MS = 120_000;

/** The boot can never produce a prompt: a user's disk that boots nothing or no serial shell. */
export class NoBootToRecordError extends Error {
  override readonly name = 'NoBootToRecordError';
}

/** A PC BIOS boots a disk only when its first sector ends in 0x55 0xAA. */
export function hasBootSignature(diskPath: string): boolean {
  const fd = openSync(diskPath, 'r');
  try {
    const sector0 = Buffer.alloc(512);
    return readSync(fd, sector0, 0, 512, 0) === 512 && sector0[510] === 0x55 && sector0[511] === 0xaa;
  } finally {
    closeSync(fd);
  }
}

/**
 * Boots `diskPath` once and returns the root chunks read before the first shell prompt; then
 * types each of `warmCommands` at the prompt, waiting for the next prompt, and returns the chunks
 * they read besides (`warmChunks`). Gives up at once on a disk without a boot signature, and
 * after `idleLimitMs` without a new chunk read and no prompt (NoBootToRecordError).
 */
export async function recordBootChunks(
  diskPath: string,
  manifest: ImageManifest,
  options: { timeoutMs: number; echo?: boolean; warmCommands?: readonly string[]; idleLimitMs?: number },
): Promise<BootRecording> {
  if (!hasBootSignature(diskPath))
    throw new NoBootToRecordError(`${diskPath}: sector 0 has no boot signature (0x55AA), so a PC BIOS boots nothing from it; there is no boot to record`);
  const chunkCount = Math.ceil(manifest.sizeBytes / manifest.chunkSizeBytes);
  const zeroChunks = new ZeroChunkRuns(manifest.zeroChunks, chunkCount);
  const log = new BootReadLog(manifest.chunkSizeBytes, (chunkIndex) => zeroChunks.has(chunkIndex));
  const disk = new RecordingFileDisk(diskPath, log);
  const emulator = new V86(bootDiskV86Options(disk, manifest.boot));
  const idleLimitMs = options.idleLimitMs ?? BOOT_IDLE_LIMIT_MS;
  const warmCommands = options.warmCommands ?? [];
  const startedAtMs = Date.now();
  let output = '';
  const timers: Array<NodeJS.Timeout> = [];
  try {
    return await new Promise<BootRecording>((resolve, reject) => {
      let boot: { chunks: number[]; promptAfterMs: number; longestIdleBeforePromptMs: number } | undefined;
      let nextCommand = 0;
      let seenChunks = 0;
      let seenOutputChars = 0;
      let lastActivityAtMs = startedAtMs;
      let longestIdleMs = 0;
      timers.push(
        setTimeout(
          () => reject(new Error(`${diskPath}: no shell prompt${boot ? ' after a warm command' : ''} after ${options.timeoutMs / 1000} s; last output:\n${output.slice(-2000)}`)),
          options.timeoutMs,
        ),
      );
      const idleCheck = setInterval(() => {
        if (boot) return;
        const nowMs = Date.now();
        if (log.chunksInReadOrder.length !== seenChunks || output.length !== seenOutputChars) {
          seenChunks = log.chunksInReadOrder.length;
          seenOutputChars = output.length;
          longestIdleMs = Math.max(longestIdleMs, nowMs - lastActivityAtMs);
          lastActivityAtMs = nowMs;
        } else if (nowMs - lastActivityAtMs > idleLimitMs) {
          reject(
            new NoBootToRecordError(
              `${diskPath}: the guest read no new disk chunk and printed nothing on its serial console for ${idleLimitMs / 1000} s, and no shell prompt (it may boot nothing, halt, or boot to a graphical screen only); last output:\n${output.slice(-2000)}`,
            ),
          );
        }
      }, 500);
      timers.push(idleCheck);
      let quiet: NodeJS.Timeout | undefined;
      // Called once the guest has been quiet for a moment at a prompt: a shell may still send a
      // query after its prompt, and typing into that would garble the command (as boot-check.ts).
      const atQuietPrompt = () => {
        const command = warmCommands[nextCommand];
        if (command === undefined) {
          resolve({ ...boot!, warmChunks: log.chunksInReadOrder.slice(boot!.chunks.length) });
          return;
        }
        nextCommand += 1;
        output = '';
        emulator.serial0_send(`${command}\n`);
      };
      emulator.add_listener('serial0-output-byte', (byte: number) => {
        const char = String.fromCharCode(byte);
        if (options.echo) process.stderr.write(char);
        output += char;
        clearTimeout(quiet);
        if (!SHELL_PROMPT_AT_END.test(output)) return;
        // A copy now: the guest keeps running and reads more.
        boot ??= { chunks: [...log.chunksInReadOrder], promptAfterMs: Date.now() - startedAtMs, longestIdleBeforePromptMs: longestIdleMs };
        quiet = setTimeout(atQuietPrompt, 300);
        timers.push(quiet);
      });
    });
  } finally {
    for (const timer of timers) clearTimeout(timer);
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
  /** Only print the sets instead of writing them into the manifest. */
  dryRun?: boolean;
  /** Commands to type after the prompt for the warm set; by default the manifest's `warmCommands`. */
  warmCommands?: readonly string[];
  /** See BOOT_IDLE_LIMIT_MS. */
  idleLimitMs?: number;
}

export interface RecordedSets {
  bootSet: BootSet;
  /** Only when warm commands were given: they and what they read. */
  warmCommands?: string[];
  warmSet?: BootSet;
}

/** Ascending, so the manifest comes out of every build byte for byte the same (see the file comment). */
function ascendingSetOf(chunks: Iterable<number>, manifest: ImageManifest): BootSet {
  const ascending = [...new Set(chunks)].sort((a, b) => a - b);
  return { imageSha256: manifest.sha256, chunkSizeBytes: manifest.chunkSizeBytes, runs: chunkRunsOf(ascending) };
}

function describeSet(set: BootSet, chunkSizeBytes: number): string {
  const chunks = set.runs.reduce((sum, [, count]) => sum + count, 0);
  return `${chunks} chunks (${((chunks * chunkSizeBytes) / 1024 / 1024).toFixed(1)} MiB) in ${set.runs.length} runs`;
}

/**
 * Boots the image in `folder` (disk.img, manifest.json) `boots` times and writes the union of
 * what the boots read into its manifest as `bootSet`, and, when the image declares warm commands,
 * what those read besides as `warmSet`. Returns the sets. Progress goes to stderr.
 */
export async function recordBootSetInto(folder: string, options: RecordOptions): Promise<RecordedSets> {
  const manifestPath = path.join(folder, 'manifest.json');
  const raw = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  const manifest = parseManifest(raw, manifestPath);
  const warmCommands = options.warmCommands ?? manifest.warmCommands ?? [];

  const recordings: BootRecording[] = [];
  for (let boot = 0; boot < options.boots; boot += 1) {
    const recording = await recordBootChunks(path.join(folder, 'disk.img'), manifest, { ...options, warmCommands });
    const against = recordings[0] ? `; against the first boot: ${describeDifference(recordings[0].chunks, recording.chunks)}` : '';
    const warm = warmCommands.length > 0 ? `; its ${warmCommands.length} warm command(s) read ${recording.warmChunks.length} more` : '';
    console.error(
      `boot set: boot ${boot + 1} reached the prompt after ${(recording.promptAfterMs / 1000).toFixed(1)} s reading ${recording.chunks.length} chunks ` +
        `(longest pause without a new chunk or serial output: ${(recording.longestIdleBeforePromptMs / 1000).toFixed(1)} s)${warm}${against}`,
    );
    recordings.push(recording);
  }
  const bootChunks = unionInFirstReadOrder(recordings.map((recording) => recording.chunks));
  const sets: RecordedSets = { bootSet: ascendingSetOf(bootChunks, manifest) };
  if (warmCommands.length > 0) {
    // The commands go into the manifest with their set: they say what the set is for.
    sets.warmCommands = [...warmCommands];
    const inBootSet = new Set(bootChunks);
    sets.warmSet = ascendingSetOf(recordings.flatMap((recording) => recording.warmChunks).filter((chunk) => !inBootSet.has(chunk)), manifest);
  }
  if (options.dryRun) return sets;
  const updated = { ...raw, ...sets };
  parseManifest(updated, manifestPath); // the catalog would refuse anything else
  writeFileAtomically(manifestPath, manifestJson(updated));
  console.error(`boot set: ${manifestPath}: ${describeSet(sets.bootSet, manifest.chunkSizeBytes)}`);
  if (sets.warmSet) console.error(`warm set: ${manifestPath}: ${describeSet(sets.warmSet, manifest.chunkSizeBytes)}`);
  return sets;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      boots: { type: 'string', default: '1' },
      'timeout-s': { type: 'string', default: '600' },
      'dry-run': { type: 'boolean', default: false },
      echo: { type: 'boolean', default: false },
      'warm-command': { type: 'string', multiple: true },
    },
  });
  const folder = positionals[0];
  const boots = Number(values.boots);
  if (!folder || positionals.length !== 1 || !Number.isSafeInteger(boots) || boots < 1)
    throw new Error('usage: record-boot-set.ts CATALOG-FOLDER [--boots N] [--timeout-s 600] [--dry-run] [--echo] [--warm-command CMD]…');
  const sets = await recordBootSetInto(folder, {
    boots,
    timeoutMs: Number(values['timeout-s']) * 1000,
    echo: values.echo,
    dryRun: values['dry-run'],
    ...(values['warm-command'] ? { warmCommands: values['warm-command'] } : {}),
  });
  if (values['dry-run']) console.log(JSON.stringify(sets));
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((error: unknown) => {
    console.error(`record-boot-set: error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
