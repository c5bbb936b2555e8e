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

  // Nor may the refused tab reset the disk the first tab is using.
  const dialogs: string[] = [];
  second.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  await second.click('Reset disk');
  await expect.poll(() => dialogs.length).toBe(2); // the confirmation, then the refusal
  expect(dialogs[1]).toContain('open in another tab');
  expect(await first.run('echo first-tab-still-$((2+2))')).toContain('first-tab-still-4');

  await first.page.close();
  await second.reload();
  await second.waitForPrompt();
  expect(await second.run('echo second-tab-$((1+1))')).toContain('second-tab-2');
});
