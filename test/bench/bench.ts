/**
 * `npm run bench`: boot and write benchmarks of the three disk backends, side by side in one
 * run, in headless Debian Chromium against the production lab server. Not a test: it prints
 * what it measures and the targets next to it, and fails only if a scenario cannot run.
 *
 *   (a) memory     the whole image downloaded first (the reference)
 *   (b) v86-async  v86's own async Range-request disk
 *   (c) union      the union block device (root over HTTP Range, leaf in IndexedDB)
 *
 * Each cold boot gets a new browser profile (no HTTP cache, no IndexedDB). The warm boot opens
 * (c) again on the profile of its cold boot. The write test runs `dd` of 32 MiB + `sync` in
 * the guest. The machine is shared and noisy, so every scenario runs in each of several rounds
 * (BENCH_ROUNDS, default 3), the order rotating per round, and the table shows medians with
 * the range. Results go to stdout and bench-results/latest.md.
 *
 * debian-lab (a 2 GiB Debian image, issue #9) on the union disk: a cold boot to the prompt, then
 * the first `python3 -c pass` and the first gcc compile, each with the bytes it fetched, the
 * bytes the guest read and the requests; and, for comparison, the time to download the whole
 * image once.
 *
 * Layers (issue #10, layers-node-bench.ts and layers-browser-bench.ts): checkpoint time, opening
 * a 100k-block chain, and the read path of a 5-layer chain against a plain leaf, in Node and
 * as boot time in the browser.
 *
 * Leaf (issue #12, leaf-bench.ts): opening a 100k-block leaf (time, heap), write amplification.
 *
 * BENCH_ONLY=default, BENCH_ONLY=debian-lab, BENCH_ONLY=layers or BENCH_ONLY=leaf runs one part.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { DiskMode, DiskStats } from '../../lib/lab/disk-backends';
import { chromiumArgs, chromiumExecutable } from '../../playwright.config';
import { DEFAULT_IMAGE_ID } from '../e2e/support/default-image';
import { LabPage } from '../e2e/support/lab-page';
import { LabServer } from '../e2e/support/servers';
import { median } from './bench-stats';
import { layersBrowserScenario, type LayersBrowserResults } from './layers-browser-bench';
import { nodeLayerBench, type LayerFigure } from './layers-node-bench';
import { layersTable } from './layers-table';
import { leafBenchReport } from './leaf-bench';

interface BootResult {
  label: string;
  mode: DiskMode;
  bootToPromptMs: number;
  pageToPromptMs: number;
  stats: DiskStats;
  /** Bytes that crossed the network for the image (Resource Timing transferSize; 0 = HTTP cache). */
  networkBytes: number;
}

interface WriteResult {
  label: string;
  seconds: number;
}

const WRITE_MIB = 32;
const DEBIAN_LAB_ID = 'debian-lab';
const BENCH_ONLY = process.env.BENCH_ONLY;
const BENCH_PARTS = ['default', 'debian-lab', 'layers', 'leaf'] as const;
if (BENCH_ONLY !== undefined && !(BENCH_PARTS as readonly string[]).includes(BENCH_ONLY)) {
  throw new Error(`BENCH_ONLY=${BENCH_ONLY} names no part of the bench; the parts are ${BENCH_PARTS.join(', ')} (unset: all)`);
}
/** Whether this run measures `part` (every part when BENCH_ONLY is unset). */
const runsPart = (part: (typeof BENCH_PARTS)[number]) => BENCH_ONLY === undefined || BENCH_ONLY === part;

/** One step of the debian-lab scenario, with what it cost the disk. */
interface StepResult {
  label: string;
  ms: number;
  fetchedBytes: number;
  readBytes: number;
  requests: number;
}
const profiles: string[] = [];

/** A window tall enough that the whole lab page, block map included, is on screen (and drawn). */
const TALL_VIEWPORT = { width: 1280, height: 2400 };

async function openContext(profile: string, viewport?: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumExecutable,
    args: chromiumArgs,
    headless: true,
    ...(viewport ? { viewport } : {}),
  });
}

async function boot(context: BrowserContext, serverUrl: string, mode: DiskMode, label: string): Promise<{ lab: LabPage; result: BootResult }> {
  const lab = new LabPage(await context.newPage(), serverUrl);
  const startedAt = Date.now();
  await lab.open(DEFAULT_IMAGE_ID, `?disk=${mode}`);
  await lab.waitForStatus('running', 240_000);
  const pageToPromptMs = Date.now() - startedAt;
  const { snapshot, stats, networkBytes } = await lab.page.evaluate(() => {
    const hook = window.leaflab!;
    const imageEntries = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((entry) =>
      entry.name.includes('/images/'),
    );
    return { snapshot: hook.snapshot(), stats: hook.stats(), networkBytes: imageEntries.reduce((sum, e) => sum + e.transferSize, 0) };
  });
  return { lab, result: { label, mode, bootToPromptMs: snapshot.bootToPromptMs ?? NaN, pageToPromptMs, stats, networkBytes } };
}

async function writeTest(lab: LabPage, label: string): Promise<WriteResult> {
  const startedAt = Date.now();
  await lab.run(`dd if=/dev/zero of=/root/bench.bin bs=1M count=${WRITE_MIB} 2>/dev/null && sync`, 600_000);
  const seconds = (Date.now() - startedAt) / 1000;
  await lab.run('rm /root/bench.bin && sync', 120_000);
  return { label, seconds };
}

/** debian-lab, cold: boot, then the first python3 and the first gcc compile, each measured alone. */
async function debianLabSteps(serverUrl: string): Promise<StepResult[]> {
  const context = await openContext(newProfile());
  try {
    const lab = new LabPage(await context.newPage(), serverUrl);
    await lab.open(DEBIAN_LAB_ID, '?disk=union');
    await lab.waitForStatus('running', 240_000);
    const bootToPromptMs = (await lab.page.evaluate(() => window.leaflab!.snapshot())).bootToPromptMs ?? NaN;
    const statsNow = () => lab.page.evaluate(() => window.leaflab!.stats());
    const boot = await statsNow();
    const steps: StepResult[] = [
      { label: 'cold boot → prompt', ms: bootToPromptMs, fetchedBytes: boot.bytesFetched, readBytes: boot.bytesRead, requests: boot.requests },
    ];
    // The C file is written first and not timed: the step is the compile and run alone.
    await lab.run(`printf '%s\\n' '#include <stdio.h>' 'int main(void) { puts("hi"); return 0; }' > /tmp/bench.c`);
    for (const [label, command] of [
      ['first `python3 -c pass`', 'python3 -c pass'],
      ['first gcc compile (hello.c) and run', 'gcc -o /tmp/bench /tmp/bench.c && /tmp/bench'],
    ] as const) {
      const before = await statsNow();
      const startedAt = Date.now();
      await lab.run(command, 600_000);
      const ms = Date.now() - startedAt;
      const after = await statsNow();
      steps.push({
        label,
        ms,
        fetchedBytes: after.bytesFetched - before.bytesFetched,
        readBytes: after.bytesRead - before.bytesRead,
        requests: after.requests - before.requests,
      });
    }
    return steps;
  } finally {
    await context.close();
  }
}

/** The whole image over the same loopback HTTP, read in the browser and thrown away. */
async function wholeImageDownload(serverUrl: string, sizeBytes: number): Promise<StepResult> {
  const context = await openContext(newProfile());
  try {
    const page = await context.newPage();
    await page.goto(`${serverUrl}/`);
    const ms = await page.evaluate(async (url) => {
      const startedAt = performance.now();
      const reader = (await fetch(url)).body!.getReader();
      for (;;) if ((await reader.read()).done) break;
      return performance.now() - startedAt;
    }, `/images/${DEBIAN_LAB_ID}/disk.img`);
    return { label: `whole image download (${(sizeBytes / MIB).toFixed(0)} MiB), for comparison`, ms, fetchedBytes: sizeBytes, readBytes: 0, requests: 1 };
  } finally {
    await context.close();
  }
}

function stepTable(results: StepResult[]): string {
  const labels = [...new Set(results.map((r) => r.label))];
  const rows = labels.map((label) => {
    const runs = results.filter((r) => r.label === label);
    const middle = median(runs.map((r) => r.ms));
    const chosen = runs.reduce((best, r) => (Math.abs(r.ms - middle) < Math.abs(best.ms - middle) ? r : best));
    const times = runs.map((r) => r.ms / 1000);
    const range = runs.length > 1 ? ` [${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} s]` : '';
    return `| ${label}${range} | ${(chosen.ms / 1000).toFixed(1)} | ${mib(chosen.fetchedBytes)} | ${chosen.readBytes ? mib(chosen.readBytes) : '–'} | ${chosen.requests} |`;
  });
  return [`| ${DEBIAN_LAB_ID}, union disk | seconds | fetched (MiB) | guest read (MiB) | requests |`, '|---|---:|---:|---:|---:|', ...rows].join('\n');
}

function newProfile(): string {
  const profile = mkdtempSync(path.join(tmpdir(), 'leaflab-bench-'));
  profiles.push(profile);
  return profile;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(2);
const ratio = (value: number, reference: number) => (reference > 0 ? `${(value / reference).toFixed(2)}×` : '–');

function bootTable(results: BootResult[]): string {
  const reference = results[0]!;
  const rows = results.map((r) => {
    const fetchedPerRead = r.stats.bytesRead > 0 ? (r.stats.bytesFetched / r.stats.bytesRead).toFixed(2) : '–';
    return `| ${r.label} | ${(r.bootToPromptMs / 1000).toFixed(1)} | ${ratio(r.bootToPromptMs, reference.bootToPromptMs)} | ${(r.pageToPromptMs / 1000).toFixed(1)} | ${mib(r.stats.bytesFetched)} | ${ratio(r.stats.bytesFetched, reference.stats.bytesFetched)} | ${mib(r.networkBytes)} | ${r.stats.requests} | ${mib(r.stats.bytesRead)} | ${fetchedPerRead} |`;
  });
  return [
    '| boot | boot → prompt (s) | vs (a) | page → prompt (s) | fetched (MiB) | vs (a) | over the network (MiB) | requests | guest read (MiB) | fetched / guest read |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function writeTable(results: WriteResult[]): string {
  const reference = results[0]!;
  const rows = results.map((r) => {
    const throughput = WRITE_MIB / r.seconds;
    return `| ${r.label} | ${r.seconds.toFixed(1)} | ${throughput.toFixed(1)} | ${ratio(throughput, WRITE_MIB / reference.seconds)} |`;
  });
  return [`| dd ${WRITE_MIB} MiB + sync | seconds | MiB/s | throughput vs (a) |`, '|---|---:|---:|---:|', ...rows].join('\n');
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** One result per scenario: the round with the median boot time, its range noted in the label. */
function summarise<T extends { label: string }>(results: T[], key: (r: T) => number): T[] {
  const labels = [...new Set(results.map((r) => r.label))];
  return labels.map((label) => {
    const runs = results.filter((r) => r.label === label);
    const middle = median(runs.map(key));
    const chosen = runs.reduce((best, r) => (Math.abs(key(r) - middle) < Math.abs(key(best) - middle) ? r : best));
    const values = runs.map(key);
    const range = runs.length > 1 ? ` [${(Math.min(...values) / 1000).toFixed(1)}–${(Math.max(...values) / 1000).toFixed(1)} s]` : '';
    return { ...chosen, label: `${label}${range}` };
  });
}

async function main(): Promise<void> {
  const server = await LabServer.start({});
  const boots: BootResult[] = [];
  const writes: WriteResult[] = [];
  const debianSteps: StepResult[] = [];
  const layerFigures: LayerFigure[] = [];
  let layersBrowser: LayersBrowserResults | undefined;
  const leafReport: string[] = [];
  const debianManifest = await fetch(`${server.url}/api/images`)
    .then((response) => response.json() as Promise<Array<{ id: string; sizeBytes: number }>>)
    .then((images) => images.find((image) => image.id === DEBIAN_LAB_ID));
  try {
    console.log(`bench: lab server at ${server.url}; ${ROUNDS} round(s), each boots real guests (a few minutes per round)`);
    const defaultScenarios: Array<() => Promise<void>> = [
      async () => {
        const context = await openContext(newProfile());
        const memory = await boot(context, server.url, 'memory', '(a) memory, cold');
        boots.push(memory.result);
        writes.push(await writeTest(memory.lab, '(a) memory'));
        await context.close();
      },
      async () => {
        const context = await openContext(newProfile());
        boots.push((await boot(context, server.url, 'v86-async', '(b) v86 async, cold')).result);
        await context.close();
      },
      async () => {
        const unionProfile = newProfile();
        let context = await openContext(unionProfile);
        boots.push((await boot(context, server.url, 'union', '(c) union, cold')).result);
        await context.close();
        context = await openContext(unionProfile);
        const warm = await boot(context, server.url, 'union', '(c) union, warm');
        boots.push(warm.result);
        writes.push(await writeTest(warm.lab, '(c) union'));
        await context.close();
      },
      // The block map draws only while on screen; this run keeps it on screen throughout, to
      // show what drawing it costs the guest.
      async () => {
        const context = await openContext(newProfile(), TALL_VIEWPORT);
        boots.push((await boot(context, server.url, 'union', '(d) union, cold, block map on screen')).result);
        await context.close();
      },
    ];
    const debianScenarios: Array<() => Promise<void>> = [];
    if (debianManifest) {
      debianScenarios.push(async () => {
        debianSteps.push(...(await debianLabSteps(server.url)));
      });
      debianScenarios.push(async () => {
        debianSteps.push(await wholeImageDownload(server.url, debianManifest.sizeBytes));
      });
    } else if (BENCH_ONLY === 'debian-lab') {
      throw new Error(`${DEBIAN_LAB_ID} is not in the catalog: npm run image -- ${DEBIAN_LAB_ID}`);
    }
    const layerScenarios: Array<() => Promise<void>> = [];
    if (runsPart('layers')) {
      // The Node figures need no browser: measured first, alone, on the same noisy machine.
      layerFigures.push(...(await nodeLayerBench(ROUNDS)));
      const browserScenario = layersBrowserScenario(server.url, newProfile());
      layersBrowser = browserScenario.results;
      layerScenarios.push(browserScenario.run);
    }
    if (runsPart('leaf')) leafReport.push('', await leafBenchReport(ROUNDS), '');
    const scenarios = [
      ...(runsPart('default') ? defaultScenarios : []),
      ...(runsPart('debian-lab') ? debianScenarios : []),
      ...layerScenarios,
    ];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let i = 0; i < scenarios.length; i += 1) await scenarios[(round + i) % scenarios.length]!();
      console.log(`bench: round ${round + 1} of ${ROUNDS} done`);
    }
  } finally {
    await server.stop();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  }

  const debianReport = debianSteps.length > 0 ? ['', stepTable(debianSteps), ''] : [];
  if (layersBrowser) layerFigures.push(...layersBrowser.figures());
  const layersReport = layerFigures.length > 0 ? ['', layersTable(layerFigures, ROUNDS), ''] : [];
  if (boots.length === 0) {
    const report = [`Leaflab bench, ${new Date().toISOString()}, median of ${ROUNDS} round(s) [range]`, ...debianReport, ...layersReport, ...leafReport].join('\n');
    console.log(`\n${report}`);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync(path.join('bench-results', 'latest.md'), report);
    return;
  }
  const order = ['(a)', '(b)', '(c) union, cold', '(c) union, warm', '(d)'];
  const bootSummary = summarise(boots, (r) => r.bootToPromptMs).sort(
    (x, y) => order.findIndex((o) => x.label.startsWith(o)) - order.findIndex((o) => y.label.startsWith(o)),
  );
  const writeSummary = summarise(writes, (r) => r.seconds * 1000);
  const [memoryBoot, , cold] = bootSummary as [BootResult, BootResult, BootResult];
  const [memoryWrite, unionWrite] = writeSummary as [WriteResult, WriteResult];
  const targets = [
    `- (c) cold boot fetched ${(cold.stats.bytesFetched / cold.stats.bytesRead).toFixed(2)}× the bytes the guest read (target ≤ 1.3×)`,
    `- (c) cold boot made ${cold.stats.requests} requests (target ≤ 40)`,
    `- (c) cold boot to prompt took ${ratio(cold.bootToPromptMs, memoryBoot.bootToPromptMs)} the time of (a) (target ≤ 1.15×)`,
    `- (c) write throughput is ${ratio(memoryWrite.seconds, unionWrite.seconds)} that of (a) (target ≥ 0.5×)`,
  ];
  const report = [
    `Leaflab bench, ${new Date().toISOString()}, image ${DEFAULT_IMAGE_ID}, headless Chromium, median of ${ROUNDS} round(s) [range]`,
    '',
    bootTable(bootSummary),
    '',
    writeTable(writeSummary),
    '',
    ...targets,
    ...debianReport,
    ...layersReport, ...leafReport,
    '',
  ].join('\n');
  console.log(`\n${report}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(path.join('bench-results', 'latest.md'), report);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
