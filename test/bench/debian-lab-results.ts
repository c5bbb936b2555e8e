/** What the debian-lab part of the bench measures (debian-lab-bench.ts) and reports (debian-lab-report.ts). */
import type { DiskStats } from '../../lib/lab/disk-backends';
import { USER_NETWORK } from './latency-proxy';

export const DEBIAN_LAB_ID = 'debian-lab';
export const PRELOADED_LABEL = '(p) preloaded memory disk';
export const LOOPBACK_LABEL = '(u) union, loopback';
export const LATENCY_LABEL = `(e) union, +${USER_NETWORK.delayMs} ms, ${USER_NETWORK.bitsPerSecond / 1e6} Mbit/s`;
export const PYTHON_STEP = 'first `python3 -c pass`';

/** A cold boot of debian-lab to the prompt, with what the disk cost. */
export interface DebianBoot {
  label: string;
  round: number;
  bootToPromptMs: number;
  pageToPromptMs: number;
  stats: DiskStats;
}

/** One step after the boot (or the whole download), with what it cost the disk. */
export interface StepResult {
  /** Which boot it ran on (one of the labels above) and what it did. */
  boot: string;
  step: string;
  round: number;
  ms: number;
  fetchedBytes: number;
  readBytes: number;
  requests: number;
  readWaitMs: number;
}

/** The image's warm set (what its warmCommands read besides the boot set; see image/tools/record-boot-set.ts). */
export interface WarmSetSize {
  commands: string[];
  chunks: number;
  bytes: number;
}

export interface DebianLabResults {
  boots: DebianBoot[];
  steps: StepResult[];
  /** Absent when the image records none. */
  warmSet?: WarmSetSize;
}

