import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { BOOT_TO_PROMPT_LIMIT_MS, LabPage } from './support/lab-page';
import { checkpoint } from './support/layers';
import { cachedChunkIndexes } from './support/root-cache-db';
import { LabServer } from './support/servers';

/**
 * Issue #12 (offline) for shared environments: a published layer's body goes into the persistent
 * chunk cache beside the root's chunks, and the service worker keeps the layer's descriptor and
 * chunk table. So a shared environment opened once boots again fetching 0 bytes of the layer's
 * body, and boots with its server stopped, the layer's file intact.
 *
 * Like offline-boot.spec.ts, the story runs on a lab server of its own (stopped half-way), on
 * LEAFLAB_OFFLINE_TEST_PORT if set, otherwise a free port.
 */
test.setTimeout(7 * BOOT_TO_PROMPT_LIMIT_MS);

const LAYER_CHUNK_BYTES = 64 * 1024;

/** The body chunks a page fetched for `layerId`, from its Range requests (the body is only ever read by range). */
function recordBodyRequests(page: Page, layerId: string): { requests: number; chunks: Set<number> } {
  const seen = { requests: 0, chunks: new Set<number>() };
  page.on('request', (request) => {
    if (new URL(request.url()).pathname !== `/layers/${layerId}/body`) return;
    seen.requests += 1;
    const match = /^bytes=(\d+)-(\d+)$/.exec(request.headers().range ?? '');
    if (!match) throw new Error(`a layer body request without a closed Range: ${request.headers().range}`);
    for (let chunk = Math.floor(Number(match[1]) / LAYER_CHUNK_BYTES); chunk <= Math.floor(Number(match[2]) / LAYER_CHUNK_BYTES); chunk += 1) seen.chunks.add(chunk);
  });
  return seen;
}

test('a shared environment opened once boots without fetching its layer again, and with its server stopped', async ({ browser }) => {
  const port = process.env.LEAFLAB_OFFLINE_TEST_PORT ? Number(process.env.LEAFLAB_OFFLINE_TEST_PORT) : undefined;
  const layerDirectory = mkdtempSync(path.join(tmpdir(), 'leaflab-offline-layers-'));
  const server = await LabServer.start({ LEAFLAB_LAYER_DIR: layerDirectory }, port);
  const teacherContext = await browser.newContext();
  const studentContext = await browser.newContext();
  try {
    // The teacher publishes an environment holding a file of random bytes.
    const teacher = new LabPage(await teacherContext.newPage(), server.url);
    await teacher.open(DEFAULT_IMAGE_ID, '?ws=publisher');
    await teacher.waitForPrompt();
    const shaLesson = await teacher.writeRandomFile('/root/lesson.bin', 384);
    const link = await teacher.page.evaluate((id) => window.leaflab!.publish(id), await checkpoint(teacher.page, 'lesson'));
    const layerId = new URL(link).searchParams.get('layer')!;
    expect(layerId).toMatch(/^[0-9a-f]{64}$/);
    await teacherContext.close();
    const layerKeyPrefix = `layer:${layerId}/`;

    // (a) The student opens the link: the body comes over the network and is kept.
    let page = await studentContext.newPage();
    let student = new LabPage(page, server.url);
    const cold = recordBodyRequests(page, layerId);
    await page.goto(link);
    await expect(page).toHaveURL(/[?&]ws=shared-1(&|$)/);
    await student.waitForPrompt();
    expect(await student.sha256Of('/root/lesson.bin')).toBe(shaLesson);
    expect(cold.requests).toBeGreaterThan(0);
    await expect(page.getByTestId('offline-status')).toHaveAttribute('data-sw-state', 'ready', { timeout: 60_000 });
    // Every body chunk fetched reaches the store (written after the reads were answered), under the layer's key.
    await expect
      .poll(async () => {
        const stored = new Set(await cachedChunkIndexes(page, layerKeyPrefix));
        return [...cold.chunks].filter((chunk) => !stored.has(chunk));
      }, { timeout: 30_000 })
      .toEqual([]);
    // The Storage panel counts the layer in the cache's total.
    await expect(page.getByTestId('root-cache-usage')).toHaveAttribute('data-layer-count', '1', { timeout: 15_000 });
    await expect(page.getByTestId('root-cache-usage')).toContainText('1 shared-environment layer');

    // (b) A warm boot with the server up, the HTTP cache cleared: not one byte of the body over the network.
    await (await studentContext.newCDPSession(page)).send('Network.clearBrowserCache');
    await page.close();
    page = await studentContext.newPage();
    student = new LabPage(page, server.url);
    const warm = recordBodyRequests(page, layerId);
    await student.open(DEFAULT_IMAGE_ID, '?ws=shared-1');
    await student.waitForPrompt();
    expect(await student.sha256Of('/root/lesson.bin')).toBe(shaLesson);
    expect(warm.requests).toBe(0);

    // (c) The server stops; the environment opens again from what the browser kept.
    await server.stop();
    await page.close();
    page = await studentContext.newPage();
    student = new LabPage(page, server.url);
    const offline = recordBodyRequests(page, layerId);
    await student.open(DEFAULT_IMAGE_ID, '?ws=shared-1');
    await expect(page.getByTestId('offline-notice')).toBeVisible({ timeout: 30_000 });
    await student.waitForPrompt();
    expect(await student.sha256Of('/root/lesson.bin')).toBe(shaLesson);
    expect(await student.run('echo offline-$((6*7))')).toContain('offline-42');
    expect(offline.requests).toBe(0);
  } finally {
    await teacherContext.close();
    await studentContext.close();
    await server.stop();
    rmSync(layerDirectory, { recursive: true, force: true });
  }
});
