import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * The other disk backends, kept for comparisons (`npm run bench` boots each of them too). In
 * the slow lane (`npm run test:slow`): a boot of its own costs the default lane half a minute.
 */
test("v86's own async Range disk still boots the image (?disk=v86-async)", async ({ page }) => {
  const baseline = new LabPage(page);
  await baseline.open(DEFAULT_IMAGE_ID, '?disk=v86-async');
  await baseline.waitForPrompt();
  const stats = await page.evaluate(() => window.leaflab!.stats());
  expect(stats.diskMode).toBe('v86-async');
  expect(stats.requests).toBeGreaterThan(0);
  expect(stats.bytesFetched).toBeLessThan(stats.bytesRead * 1.5);
  // v86's own disk is metered through its IDE drive: every fetched read is asynchronous.
  expect(stats.asyncReads).toBeGreaterThan(0);
  expect(stats.readWaitMs).toBeGreaterThan(0);
});
