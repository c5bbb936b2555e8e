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

/**
 * A reset whose delete another connection holds up (a tab of an older Leaflab that ignores
 * "versionchange") is not a failure: the browser keeps the delete queued. The lab says it is
 * pending, then done when the other side lets go, and boots on the pristine image.
 */
test('a reset held up by another connection is shown as pending, then done', async ({ context }) => {
  const lab = new LabPage(await context.newPage());
  await lab.open(DEFAULT_IMAGE_ID, '?ws=pending-reset');
  await lab.waitForPrompt();
  await lab.run('echo before-reset > /root/before-reset.txt; sync');
  const { storageId } = (await lab.workspace())!;

  const holder = await context.newPage();
  await holder.goto('/api/images'); // any page of the same origin
  await holder.evaluate(async (databaseName) => {
    const request = indexedDB.open(databaseName);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    (window as unknown as { heldLeaf: IDBDatabase }).heldLeaf = db; // no versionchange handler: it does not let go
  }, `leaflab-leaf:${DEFAULT_IMAGE_ID}:${storageId}`);

  const dialogs: string[] = [];
  lab.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  await lab.click('Reset disk');
  const status = lab.page.getByTestId('deletion-status');
  await expect(status).toHaveAttribute('data-state', 'pending');
  await expect(status).toContainText('finishes when the other tab that has it open lets go');
  await lab.page.waitForTimeout(1500);
  await expect(status).toHaveAttribute('data-state', 'pending'); // still waiting, not failed
  expect(dialogs).toHaveLength(1); // the confirmation only: no "could not be reset"

  await holder.evaluate(() => (window as unknown as { heldLeaf: IDBDatabase }).heldLeaf.close());
  await expect(status).toHaveAttribute('data-state', 'done');
  await lab.waitForStatus('booting', 30_000);
  await lab.waitForPrompt();
  expect(await lab.fileExists('/root/before-reset.txt')).toBe(false);
  expect(dialogs).toHaveLength(1);
});
