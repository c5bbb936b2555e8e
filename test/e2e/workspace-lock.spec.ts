import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * Two tabs on one workspace would interleave two guests' writes into one disk. The second tab
 * is refused with a message; once the first tab is closed, it opens normally.
 */
test('a workspace open in one tab is refused in a second tab until the first closes', async ({ context }) => {
  const first = new LabPage(await context.newPage());
  await first.open(DEFAULT_IMAGE_ID);
  await first.waitForPrompt();

  const second = new LabPage(await context.newPage());
  await second.open(DEFAULT_IMAGE_ID);
  await second.page.waitForFunction(() => window.leaflab?.status === 'error', undefined, { timeout: 30_000 });
  await expect(second.page.getByRole('alert').filter({ hasText: 'open in another tab' })).toBeVisible();
  expect(await second.serialOutput()).toBe(''); // no machine started on the shared disk

  await first.page.close();
  await second.reload();
  await second.waitForPrompt();
  expect(await second.run('echo second-tab-$((1+1))')).toContain('second-tab-2');
});
