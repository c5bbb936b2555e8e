/**
 * debian-lab (a 2 GiB Debian image, issue #9) in `npm run bench`: issue #12's target for a real
 * lab image at a user's distance from the server. Every boot is cold (a new browser profile):
 *
 *   (p) preloaded  `?disk=memory`: the whole image is downloaded first, then the guest boots
 *                  from memory. The reference: the disk never makes the guest wait.
 *   (u) union      on loopback: boot, then the first `python3 -c pass` and the first gcc compile.
 *   (e) union      the whole lab page through the latency proxy (+50 ms per request,
 *                  50 Mbit/s): boot, then the first `python3 -c pass`.
 *
 * and, for comparison, the time to download the whole image once over loopback. The first
 * python3 runs right after the prompt, as a user's would, whether or not the lab has finished
 * fetching the image's warm set by then; the report gives the warm set's size.
 *
 * "boot → prompt" is the lab's own figure (snapshot().bootToPromptMs): from v86's start to the
 * shell prompt. The memory disk's download, like the wasm and BIOS downloads, happens before v86
 * starts, so it is not counted; "page → prompt" (from opening the page) counts everything.
 */
import type { BrowserContext } from 'playwright-core';
import { warmSetRunsFor } from '../../lib/images/boot-set';
import type { ImageManifest } from '../../lib/images/manifest';
import type { DiskMode } from '../../lib/lab/disk-backends';
import { LabPage } from '../e2e/support/lab-page';
import { DEBIAN_LAB_ID, LATENCY_LABEL, LOOPBACK_LABEL, PRELOADED_LABEL, PYTHON_STEP, type DebianBoot, type DebianLabResults, type StepResult, type WarmSetSize } from './debian-lab-results';
import { LatencyProxy, USER_NETWORK } from './latency-proxy';

/** The 2 GiB download of the memory disk, or a boot over the slow link, on a busy 2-core machine. */
const BOOT_TIMEOUT_MS = 900_000;
const STEP_TIMEOUT_MS = 600_000;
const MIB = 1024 * 1024;

async function bootDebian(context: BrowserContext, baseUrl: string, mode: DiskMode, label: string, round: number): Promise<{ lab: LabPage; boot: DebianBoot }> {
  const lab = new LabPage(await context.newPage(), baseUrl);
  const startedAt = Date.now();
  await lab.open(DEBIAN_LAB_ID, `?disk=${mode}`);
  await lab.waitForStatus('running', BOOT_TIMEOUT_MS);
  const pageToPromptMs = Date.now() - startedAt;
  const { snapshot, stats } = await lab.page.evaluate(() => ({ snapshot: window.leaflab!.snapshot(), stats: window.leaflab!.stats() }));
  return { lab, boot: { label, round, bootToPromptMs: snapshot.bootToPromptMs ?? NaN, pageToPromptMs, stats } };
}

/** Runs `command` in the guest and measures it alone: time, and the disk counters' change. */
async function measureStep(lab: LabPage, boot: string, step: string, round: number, command: string): Promise<StepResult> {
  const statsNow = () => lab.page.evaluate(() => window.leaflab!.stats());
  const before = await statsNow();
  const startedAt = Date.now();
  await lab.run(command, STEP_TIMEOUT_MS);
  const ms = Date.now() - startedAt;
  const after = await statsNow();
  return {
    boot,
    step,
    round,
    ms,
    fetchedBytes: after.bytesFetched - before.bytesFetched,
    readBytes: after.bytesRead - before.bytesRead,
    requests: after.requests - before.requests,
    readWaitMs: after.readWaitMs - before.readWaitMs,
  };
}

/** The whole image over loopback HTTP, read in the browser and thrown away. */
async function wholeImageDownload(context: BrowserContext, serverUrl: string, sizeBytes: number, round: number): Promise<StepResult> {
  const page = await context.newPage();
  await page.goto(`${serverUrl}/`);
  const ms = await page.evaluate(async (url) => {
    const startedAt = performance.now();
    const reader = (await fetch(url)).body!.getReader();
    for (;;) if ((await reader.read()).done) break;
    return performance.now() - startedAt;
  }, `/images/${DEBIAN_LAB_ID}/disk.img`);
  return { boot: 'loopback', step: `whole image download (${(sizeBytes / MIB).toFixed(0)} MiB), for comparison`, round, ms, fetchedBytes: sizeBytes, readBytes: 0, requests: 1, readWaitMs: 0 };
}

export interface DebianLabBench {
  /** One per scenario, each run once per round. */
  scenarios: Array<(round: number) => Promise<void>>;
  results: DebianLabResults;
  /** Stops the latency proxy. */
  stop(): Promise<void>;
}

/** The image's warm set as recorded on this very build, or none. */
function warmSetSize(image: Pick<ImageManifest, 'sha256' | 'chunkSizeBytes' | 'warmSet' | 'warmCommands'>): WarmSetSize | undefined {
  const runs = warmSetRunsFor(image);
  if (!runs) return undefined;
  const chunks = runs.reduce((sum, [, count]) => sum + count, 0);
  return { commands: image.warmCommands ?? [], chunks, bytes: chunks * image.chunkSizeBytes };
}

/**
 * The debian-lab scenarios against the lab server at `serverUrl`, with a latency proxy of their
 * own in front of it. `openColdContext` opens a browser on a new, empty profile.
 */
export async function debianLabBench(
  serverUrl: string,
  image: Pick<ImageManifest, 'sizeBytes' | 'sha256' | 'chunkSizeBytes' | 'warmSet' | 'warmCommands'>,
  openColdContext: () => Promise<BrowserContext>,
): Promise<DebianLabBench> {
  const { sizeBytes } = image;
  const proxy = await LatencyProxy.start(serverUrl, USER_NETWORK);
  console.log(`bench: ${DEBIAN_LAB_ID} latency proxy at ${proxy.url} (+${USER_NETWORK.delayMs} ms per request, ${USER_NETWORK.bitsPerSecond / 1e6} Mbit/s)`);
  const warmSet = warmSetSize(image);
  const results: DebianLabResults = { boots: [], steps: [], ...(warmSet ? { warmSet } : {}) };
  /** A cold boot on a new profile, then `steps` ([name, command]) on it, each measured alone. */
  const bootThenSteps =
    (baseUrl: string, mode: DiskMode, label: string, steps: ReadonlyArray<readonly [string, string]>, setup?: string) =>
    async (round: number) => {
      const context = await openColdContext();
      try {
        const { lab, boot } = await bootDebian(context, baseUrl, mode, label, round);
        results.boots.push(boot);
        // Untimed preparation (files a step needs), after the boot's figures are taken.
        if (setup) await lab.run(setup);
        for (const [step, command] of steps) results.steps.push(await measureStep(lab, label, step, round, command));
      } finally {
        await context.close();
      }
    };
  const python = [PYTHON_STEP, 'python3 -c pass'] as const;
  const writeHelloC = `printf '%s\\n' '#include <stdio.h>' 'int main(void) { puts("hi"); return 0; }' > /tmp/bench.c`;
  const scenarios = [
    bootThenSteps(serverUrl, 'memory', PRELOADED_LABEL, [python]),
    bootThenSteps(serverUrl, 'union', LOOPBACK_LABEL, [python, ['first gcc compile (hello.c) and run', 'gcc -o /tmp/bench /tmp/bench.c && /tmp/bench']], writeHelloC),
    bootThenSteps(proxy.url, 'union', LATENCY_LABEL, [python]),
    async (round: number) => {
      const context = await openColdContext();
      try {
        results.steps.push(await wholeImageDownload(context, serverUrl, sizeBytes, round));
      } finally {
        await context.close();
      }
    },
  ];
  return { scenarios, results, stop: () => proxy.stop() };
}
