import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { BOOT_TO_PROMPT_LIMIT_MS, LabPage } from './support/lab-page';
import { rootCacheStoredBytes } from './support/root-cache-db';
import { LabServer } from './support/servers';

/**
 * Issue #12's "done when": a lab opened once boots again with the browser's HTTP cache cleared
 * reading 0 root bytes over the network (the persistent root chunk cache), and boots with its
 * server stopped (the service worker keeps the page, the emulator and the BIOS), with the
 * offline notice shown, and the guest works.
 *
 * The lab runs on a server of this spec's own (the shared one must keep running for the other
 * specs), on LEAFLAB_OFFLINE_TEST_PORT if set, otherwise a free port. Browser storage is per
 * origin, so the whole story runs on that one origin.
 */
test.setTimeout(6 * BOOT_TO_PROMPT_LIMIT_MS);

test('a lab opened once boots with the HTTP cache cleared (no root byte over the network) and with its server stopped', async ({ browser }) => {
  const port = process.env.LEAFLAB_OFFLINE_TEST_PORT ? Number(process.env.LEAFLAB_OFFLINE_TEST_PORT) : undefined;
  const server = await LabServer.start({}, port);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const lab = new LabPage(page, server.url);

    // (a) The first boot fetches the root over the network and keeps what it fetched.
    await lab.open(DEFAULT_IMAGE_ID);
    await lab.waitForPrompt();
    const cold = await page.evaluate(() => window.leaflab!.stats());
    expect(cold.bytesFetched).toBeGreaterThan(0);
    expect(cold.rootCacheHits).toBe(0);
    await expect(page.getByTestId('offline-status')).toHaveAttribute('data-sw-state', 'ready', { timeout: 60_000 });
    await expect(page.getByTestId('offline-notice')).toHaveCount(0);
    // Every fetched chunk reaches the cache (written after the reads were answered).
    await expect
      .poll(async () => (await rootCacheStoredBytes(lab.page)) - (await page.evaluate(() => window.leaflab!.stats().bytesFetched)), { timeout: 30_000 })
      .toBe(0);

    // (b) With the HTTP cache cleared, the boot reads no root byte over the network.
    const devtools = await context.newCDPSession(page);
    await devtools.send('Network.clearBrowserCache');
    const rootRequests: string[] = [];
    page.on('request', (request) => {
      if (/\/images\/.*\.img$/.test(new URL(request.url()).pathname)) rootRequests.push(request.url());
    });
    await lab.reload();
    await lab.waitForPrompt();
    const warm = await page.evaluate(() => window.leaflab!.stats());
    expect(warm.bytesFetched).toBe(0);
    expect(warm.requests).toBe(0);
    expect(warm.rootCacheHits).toBeGreaterThan(0);
    expect(warm.rootCacheBytes).toBeGreaterThan(0);
    expect(warm.rootCacheCorruptChunks).toBe(0);
    expect(rootRequests).toEqual([]);
    expect(await lab.run('echo warm-$((40+2))')).toContain('warm-42');
    await expect(page.getByTestId('stat-root-cache')).toContainText('chunks');

    // (c) The server stops; the lab reloads from the browser's copies and the guest works.
    await server.stop();
    await lab.reload();
    await expect(page.getByTestId('offline-notice')).toBeVisible({ timeout: 30_000 });
    await lab.waitForPrompt();
    const offline = await page.evaluate(() => window.leaflab!.stats());
    expect(offline.bytesFetched).toBe(0);
    expect(offline.rootCacheHits).toBeGreaterThan(0);
    // Commands whose code the boot already read (BusyBox applets and shell builtins).
    expect(await lab.run('echo offline-$((6*7)); uname -m')).toMatch(/offline-42[\s\S]*i686/);

    // The Storage panel shows the root cache and clears it; the workspace's leaf stays.
    await expect(page.getByTestId('root-cache-usage')).toHaveAttribute('data-stored-bytes', /^[1-9]\d*$/, { timeout: 15_000 });
    await page.getByTestId('root-cache').getByRole('button', { name: 'Clear root cache' }).click();
    await expect(page.getByTestId('root-cache-usage')).toHaveAttribute('data-stored-bytes', '0');
    expect(await rootCacheStoredBytes(lab.page)).toBe(0);
    expect((await lab.databaseNames()).filter((name) => name.startsWith(`leaflab-leaf:${DEFAULT_IMAGE_ID}:`))).toHaveLength(1);
  } finally {
    await context.close();
    await server.stop();
  }
});
