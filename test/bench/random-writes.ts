/**
 * The guest's random 4 KiB writes (issue #12): a `dd` loop that writes one 4 KiB block at a
 * time at pseudo-random offsets into an existing 32 MiB file (`conv=notrunc`, so the file stays
 * and every write is a partial overwrite), then `sync`. The offsets come from a fixed sequence,
 * so every backend writes the same blocks. Each `dd` is a process the guest spawns, on every
 * backend alike; the throughput ratio between backends is what the bench reports.
 */
import type { LabPage } from '../e2e/support/lab-page';

export interface RandomWriteResult {
  label: string;
  round: number;
  seconds: number;
  bytes: number;
}

const BLOCK_BYTES = 4096;
export const RANDOM_WRITE_COUNT = 256;
const FILE_BLOCKS = 8192; // 32 MiB
const FILE = '/root/bench-random.bin';
const SOURCE = '/root/bench-random.src';

/**
 * The loop, in BusyBox ash: an LCG small enough for 32-bit shell arithmetic picks each block.
 * A failing `dd` (e.g. a BusyBox without conv=notrunc) prints a marker the bench refuses (quoted
 * apart in the command, so the echo of the typed command does not contain it).
 */
const LOOP =
  `s=1; i=0; while [ $i -lt ${RANDOM_WRITE_COUNT} ]; do s=$(( (s * 75 + 74) % 65537 )); ` +
  `dd if=${SOURCE} of=${FILE} bs=${BLOCK_BYTES} count=1 seek=$(( s % ${FILE_BLOCKS} )) conv=notrunc 2>/dev/null || { echo random-dd-fail''ed; break; }; ` +
  `i=$((i+1)); done; sync`;

export async function randomWriteTest(lab: LabPage, label: string, round: number): Promise<RandomWriteResult> {
  // The file and the 4 KiB source exist and are on disk before the clock starts.
  await lab.run(`dd if=/dev/zero of=${FILE} bs=1M count=${(FILE_BLOCKS * BLOCK_BYTES) / (1024 * 1024)} 2>/dev/null && dd if=/dev/urandom of=${SOURCE} bs=${BLOCK_BYTES} count=1 2>/dev/null && sync`, 600_000);
  const startedAt = Date.now();
  const output = await lab.run(LOOP, 600_000);
  const seconds = (Date.now() - startedAt) / 1000;
  if (output.includes('random-dd-failed')) throw new Error(`${label}: a dd of the random-write loop failed in the guest:\n${output}`);
  await lab.run(`rm ${FILE} ${SOURCE} && sync`, 120_000);
  return { label, round, seconds, bytes: RANDOM_WRITE_COUNT * BLOCK_BYTES };
}
