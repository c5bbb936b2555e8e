/**
 * Layer benchmarks in headless Chromium (issue #10), on the default image and the union disk:
 *
 *   checkpoint  `window.leaflab.checkpoint()` wall time (timed in the page) on the running
 *               guest, each after writing a 4 MiB file and `sync`: 5 checkpoints, which are
 *               the chain of the boot test below.
 *   boot        boot to prompt in workspace "bench-chain", whose disk stacks those 5
 *               checkpoints under its leaf, against workspace "bench-plain", which holds the
 *               same files written without checkpoints. Both in one browser profile (the same
 *               HTTP cache), the order alternating per round; chain / plain, target ≤ 1.05×.
 *
 * The workspaces are made once, on the first round; every round opens the profile again.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumExecutable } from '../../playwright.config';
import { DEFAULT_IMAGE_ID } from '../e2e/support/default-image';
import { LabPage } from '../e2e/support/lab-page';
import type { LayerFigure } from './layers-node-bench';

const CHAIN_WORKSPACE = 'bench-chain';
const PLAIN_WORKSPACE = 'bench-plain';
const CHAIN_DEPTH = 5;
const FILE_MIB = 4;
const BOOT_TIMEOUT_MS = 240_000;

export interface LayersBrowserResults {
  figures(): LayerFigure[];
}

interface BootPair {
  chainMs: number;
  plainMs: number;
}

/** A file of `FILE_MIB` MiB whose bytes depend only on `index`, so both workspaces get the same. */
function writeFileCommand(index: number): string {
  return `yes "leaflab bench file ${index}" | head -c ${FILE_MIB * 1024 * 1024} > /root/bench-${index}.txt && sync`;
}

async function bootWorkspace(page: Page, serverUrl: string, workspace: string): Promise<{ lab: LabPage; bootToPromptMs: number }> {
  const lab = new LabPage(page, serverUrl);
  await lab.open(DEFAULT_IMAGE_ID, `?disk=union&ws=${workspace}`);
  await lab.waitForStatus('running', BOOT_TIMEOUT_MS);
  const bootToPromptMs = await page.evaluate(() => window.leaflab!.snapshot().bootToPromptMs ?? NaN);
  if (!Number.isFinite(bootToPromptMs)) throw new Error(`workspace ${workspace} reached the prompt without a boot time`);
  return { lab, bootToPromptMs };
}

/** The frozen layers under the running disk, by the ids `layerOf` names (leaf, root, zero left out). */
function frozenLayerCount(page: Page): Promise<number> {
  return page.evaluate(() => {
    const hook = window.leaflab!;
    const sectorCount = hook.blockMap()?.sectorCount ?? 0;
    const ids = new Set<string>();
    for (let sector = 0; sector < sectorCount; sector += 1) ids.add(hook.layerOf(sector) ?? 'none');
    for (const notFrozen of ['root', 'zero', 'none', hook.workspace.storageId]) ids.delete(notFrozen);
    return ids.size;
  });
}

/** Makes both workspaces; returns the wall time of each checkpoint, in ms. */
async function makeWorkspaces(page: Page, serverUrl: string): Promise<number[]> {
  const checkpointMs: number[] = [];
  const { lab: chainLab } = await bootWorkspace(page, serverUrl, CHAIN_WORKSPACE);
  for (let index = 1; index <= CHAIN_DEPTH; index += 1) {
    await chainLab.run(writeFileCommand(index), 120_000);
    checkpointMs.push(
      await page.evaluate(async (name) => {
        const startedAt = performance.now();
        await window.leaflab!.checkpoint(name);
        return performance.now() - startedAt;
      }, `bench ${index}`),
    );
  }
  const { lab: plainLab } = await bootWorkspace(page, serverUrl, PLAIN_WORKSPACE);
  for (let index = 1; index <= CHAIN_DEPTH; index += 1) await plainLab.run(writeFileCommand(index), 120_000);
  return checkpointMs;
}

async function bootPair(page: Page, serverUrl: string, chainFirst: boolean): Promise<BootPair> {
  const pair: Partial<BootPair> = {};
  for (const workspace of chainFirst ? [CHAIN_WORKSPACE, PLAIN_WORKSPACE] : [PLAIN_WORKSPACE, CHAIN_WORKSPACE]) {
    const { bootToPromptMs } = await bootWorkspace(page, serverUrl, workspace);
    const layers = await frozenLayerCount(page);
    const expected = workspace === CHAIN_WORKSPACE ? CHAIN_DEPTH : 0;
    if (layers !== expected) throw new Error(`workspace ${workspace} boots on ${layers} frozen layers, not ${expected}`);
    if (workspace === CHAIN_WORKSPACE) pair.chainMs = bootToPromptMs;
    else pair.plainMs = bootToPromptMs;
  }
  return pair as BootPair;
}

/** The scenario `bench.ts` runs once per round, and the figures it gathered. */
export function layersBrowserScenario(serverUrl: string, profile: string): { run: () => Promise<void>; results: LayersBrowserResults } {
  let checkpointMs: number[] | undefined;
  const pairs: BootPair[] = [];
  const run = async () => {
    const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: chromiumExecutable, args: chromiumArgs, headless: true });
    try {
      const page = await context.newPage();
      checkpointMs ??= await makeWorkspaces(page, serverUrl);
      pairs.push(await bootPair(page, serverUrl, pairs.length % 2 === 0));
    } finally {
      await context.close();
    }
  };
  const figures = (): LayerFigure[] => {
    if (!checkpointMs) return [];
    const boot = (label: string, values: number[]): LayerFigure => ({ label, unit: 's', target: '–', values: values.map((ms) => ms / 1000), digits: 1 });
    return [
      {
        label: `browser: checkpoint() on the running guest after writing ${FILE_MIB} MiB (${CHAIN_DEPTH} checkpoints, not rounds)`,
        unit: 'ms',
        target: 'O(1): metadata only',
        values: checkpointMs,
        digits: 0,
      },
      boot(`browser: boot → prompt, ${CHAIN_DEPTH} files, plain leaf`, pairs.map((p) => p.plainMs)),
      boot(`browser: boot → prompt, the same files in ${CHAIN_DEPTH} checkpoints + leaf`, pairs.map((p) => p.chainMs)),
      { label: 'browser: boot → prompt, chain / plain', unit: '×', target: '≤ 1.05×', values: pairs.map((p) => p.chainMs / p.plainMs), digits: 3 },
    ];
  };
  return { run, results: { figures } };
}
