import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * A full storage quota must not lose or half-write anything: the union disk pauses the machine
 * with a message that says what to do, and after a reload (with room again) the workspace
 * holds exactly what was committed before. Chromium's quota is lowered through DevTools before
 * the lab opens its database: a connection that is already open may keep the quota it saw.
 */
const QUOTA_BYTES = 4 * 1024 * 1024;

test('when the storage quota is exhausted the machine pauses with a clear message and nothing is lost', async ({ page, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  await page.goto('/');
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA_BYTES });

  const lab = new LabPage(page);
  // The root chunk cache and the service worker are off: a page cannot see a DevTools quota
  // override (navigator.storage.estimate() reports the real quota), so under this 4 MiB quota
  // their copies would take the room the test gives the leaf.
  await lab.open(DEFAULT_IMAGE_ID, '?disk=union&sw=0&rootcache=0');
  await lab.waitForPrompt();
  await lab.run('echo saved-before-the-quota > /root/saved.txt; sync');

  // 16 MiB cannot fit in a 4 MiB quota.
  await page.evaluate(() => window.leaflab!.sendSerial('dd if=/dev/urandom of=/root/big.bin bs=1M count=16; sync\n'));
  await page.waitForFunction(() => window.leaflab?.status === 'error', undefined, { timeout: 120_000, polling: 250 });
  const snapshot = await page.evaluate(() => window.leaflab!.snapshot());
  expect(snapshot.error).toContain('The virtual machine is paused');
  expect(snapshot.error).toContain('storage quota is exhausted');
  await expect(page.getByRole('alert').filter({ hasText: 'quota' })).toBeVisible();

  // The machine really is paused: the guest prints nothing more.
  const printed = (await lab.serialOutput()).length;
  await page.waitForTimeout(2000);
  expect((await lab.serialOutput()).length).toBe(printed);

  await devtools.send('Storage.overrideQuotaForOrigin', { origin }); // the default quota again
  await lab.reload();
  await lab.waitForPrompt();
  expect(await lab.run('cat /root/saved.txt')).toContain('saved-before-the-quota');
});
