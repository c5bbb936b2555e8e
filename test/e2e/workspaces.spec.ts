import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * Workspaces: several disks per image in one browser, each its own leaf. One browser context
 * throughout (one student's browser); the tests build on each other.
 */
test.describe.configure({ mode: 'serial' });

let lab: LabPage;
let fileInA: string;
/** The default workspace before it was renamed "mine": its leaf and a file written in it. */
let renamedDefault: { storageId: string; fileSha: string } | undefined;

test.beforeAll(async ({ browser }) => {
  lab = new LabPage(await (await browser.newContext()).newPage());
});

test.afterAll(async () => {
  await lab.page.context().close();
});

test('two workspaces never see each other’s writes', async () => {
  await lab.open(DEFAULT_IMAGE_ID, '?ws=a');
  await lab.waitForPrompt();
  expect(await lab.workspace()).toMatchObject({ name: 'a' });
  await expect(lab.page.getByTestId('workspace-name')).toHaveText('a');
  fileInA = await lab.writeRandomFile('/root/only-in-a.bin');

  // Switch through the workspace panel, as a user would: "b" is new and starts pristine.
  await lab.page.getByLabel('New workspace').fill('b');
  await lab.page.getByRole('button', { name: 'Create and open' }).click();
  await expect(lab.page).toHaveURL(/[?&]ws=b(&|$)/);
  await lab.page.waitForFunction(() => window.leaflab?.workspace.name === 'b');
  await lab.waitForPrompt();
  expect(await lab.fileExists('/root/only-in-a.bin')).toBe(false);
  await lab.run('echo only-in-b > /root/only-in-b.txt; sync');

  await lab.workspaceRow('a').getByRole('link', { name: 'a' }).click();
  await lab.page.waitForFunction(() => window.leaflab?.workspace.name === 'a');
  await lab.waitForPrompt();
  expect(await lab.sha256Of('/root/only-in-a.bin')).toBe(fileInA);
  expect(await lab.fileExists('/root/only-in-b.txt')).toBe(false);

  // The list shows both, each with what it stores.
  await expect(lab.workspaceRow('a')).toBeVisible();
  await expect(lab.workspaceRow('b')).toBeVisible();
  await expect(lab.workspaceRow('a').getByTestId('workspace-size')).toContainText('MiB');
});

test('renaming the running workspace keeps the machine and its disk', async () => {
  const printedBefore = (await lab.serialOutput()).length;
  await lab.workspaceRow('a').getByRole('button', { name: 'Rename a' }).click();
  await lab.page.getByLabel('New name for a').fill('alpha');
  await lab.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(lab.page).toHaveURL(/[?&]ws=alpha(&|$)/);
  await expect(lab.workspaceRow('alpha')).toBeVisible();
  await expect(lab.workspaceRow('a')).toHaveCount(0);
  // No reboot: same session, the earlier output is still there and the shell answers.
  expect((await lab.serialOutput()).length).toBeGreaterThanOrEqual(printedBefore);
  expect(await lab.status()).toBe('running');
  expect(await lab.sha256Of('/root/only-in-a.bin')).toBe(fileInA);
  // A reload opens the renamed workspace with the same disk.
  await lab.reload();
  await lab.waitForPrompt();
  expect(await lab.workspace()).toMatchObject({ name: 'alpha' });
  expect(await lab.sha256Of('/root/only-in-a.bin')).toBe(fileInA);
});

test('deleting a workspace frees its storage, and the name starts fresh afterwards', async () => {
  // Give "b" something big to free.
  await lab.open(DEFAULT_IMAGE_ID, '?ws=b');
  await lab.waitForPrompt();
  await lab.writeRandomFile('/root/big.bin', 16 * 1024);
  const storageId = (await lab.workspace())!.storageId;
  expect(await lab.databaseNames()).toContain(`leaflab-leaf:${DEFAULT_IMAGE_ID}:${storageId}`);

  await lab.open(DEFAULT_IMAGE_ID, '?ws=alpha');
  await lab.waitForPrompt();
  const usageBefore = await lab.storageUsageBytes();
  lab.page.once('dialog', (dialog) => void dialog.accept());
  await lab.workspaceRow('b').getByRole('button', { name: 'Delete b' }).click();
  await expect(lab.workspaceRow('b')).toHaveCount(0);
  expect(await lab.databaseNames()).not.toContain(`leaflab-leaf:${DEFAULT_IMAGE_ID}:${storageId}`);
  // The 16 MiB file's leaf blocks are gone from the browser's accounting.
  await expect.poll(() => lab.storageUsageBytes(), { timeout: 30_000 }).toBeLessThan(usageBefore - 12 * 1024 * 1024);
  // The other workspace is untouched.
  expect(await lab.sha256Of('/root/only-in-a.bin')).toBe(fileInA);

  await lab.open(DEFAULT_IMAGE_ID, '?ws=b');
  await lab.waitForPrompt();
  expect((await lab.workspace())!.storageId).not.toBe(storageId);
  expect(await lab.fileExists('/root/big.bin')).toBe(false);
  expect(await lab.fileExists('/root/only-in-b.txt')).toBe(false);
});

test('the catalog shows how many workspaces the image has and what they store', async () => {
  await lab.page.goto('/');
  const summary = lab.page.locator(`[data-image-id="${DEFAULT_IMAGE_ID}"]`).getByTestId('catalog-workspaces');
  await expect(summary).toHaveAttribute('data-workspace-count', '2'); // alpha and the new b
  expect(Number(await summary.getAttribute('data-bytes'))).toBeGreaterThan(2 * 1024 * 1024);
});

test('a link with a malformed workspace name gets a clear page', async () => {
  await lab.page.goto(`/lab/${DEFAULT_IMAGE_ID}?ws=${encodeURIComponent('../Evil Name')}`);
  await expect(lab.page.getByRole('heading', { name: 'This link names no valid workspace' })).toBeVisible();
  await expect(lab.page.getByText('lower-case letters')).toBeVisible();
});

test('renaming default frees the plain link: it opens a new, empty default', async () => {
  await lab.open(DEFAULT_IMAGE_ID); // no ?ws=: the workspace named default
  await lab.waitForPrompt();
  const original = (await lab.workspace())!;
  expect(original.name).toBe('default');
  const fileInDefault = await lab.writeRandomFile('/root/in-default.bin', 256);
  renamedDefault = undefined;

  await lab.workspaceRow('default').getByRole('button', { name: 'Rename default' }).click();
  await lab.page.getByLabel('New name for default').fill('mine');
  await lab.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(lab.page).toHaveURL(/[?&]ws=mine(&|$)/);
  await expect(lab.workspaceRow('mine')).toBeVisible();

  // The plain link again: a new default on the pristine image, not the renamed one's disk,
  // and not a refusal.
  await lab.open(DEFAULT_IMAGE_ID);
  await lab.waitForPrompt();
  const fresh = (await lab.workspace())!;
  expect(fresh.name).toBe('default');
  expect(fresh.storageId).not.toBe(original.storageId);
  await expect(lab.page.getByTestId('workspace-name')).toHaveText('default');
  expect(await lab.fileExists('/root/in-default.bin')).toBe(false);
  renamedDefault = { storageId: original.storageId, fileSha: fileInDefault };
});

test('the renamed default keeps its disk', async () => {
  await lab.workspaceRow('mine').getByRole('link', { name: 'mine' }).click();
  await lab.page.waitForFunction(() => window.leaflab?.workspace.name === 'mine');
  await lab.waitForPrompt();
  expect((await lab.workspace())!.storageId).toBe(renamedDefault?.storageId);
  expect(await lab.sha256Of('/root/in-default.bin')).toBe(renamedDefault?.fileSha);
});

test('disks no workspace lists are shown under Storage and on the catalog, and kept or removed at the user’s word', async () => {
  // Leaf databases with no registry entry, as an older Leaflab's delete race could leave them.
  const leftovers = ['ws-leftover-keep', 'ws-leftover-remove'];
  await lab.page.evaluate(
    async ({ imageId, storageIds }) => {
      for (const storageId of storageIds) {
        const request = indexedDB.open(`leaflab-leaf:${imageId}:${storageId}`, 1);
        request.onupgradeneeded = () => ['meta', 'blocks', 'sectorMap'].forEach((store) => request.result.createObjectStore(store));
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        db.close();
      }
    },
    { imageId: DEFAULT_IMAGE_ID, storageIds: leftovers },
  );

  await lab.page.goto('/');
  const summary = lab.page.locator(`[data-image-id="${DEFAULT_IMAGE_ID}"]`).getByTestId('catalog-workspaces');
  await expect(summary).toHaveAttribute('data-unlisted-count', '2');
  await expect(summary).toContainText('2 disks no workspace lists');

  await lab.open(DEFAULT_IMAGE_ID, '?ws=mine');
  const list = lab.page.getByTestId('storage-panel').getByTestId('unlisted-leaves');
  for (const storageId of leftovers) await expect(list.locator(`li[data-storage-id="${storageId}"]`)).toBeVisible();

  lab.page.once('dialog', (dialog) => void dialog.accept());
  await list.getByRole('button', { name: 'Remove ws-leftover-remove' }).click();
  await expect(list.locator('li[data-storage-id="ws-leftover-remove"]')).toHaveCount(0);
  expect(await lab.databaseNames()).not.toContain(`leaflab-leaf:${DEFAULT_IMAGE_ID}:ws-leftover-remove`);

  await list.getByRole('button', { name: 'Keep as workspace ws-leftover-keep' }).click();
  await expect(list.getByRole('status')).toContainText('recovered-1');
  await expect(lab.workspaceRow('recovered-1')).toBeVisible();
  await expect(list.locator('li')).toHaveCount(0);
  expect(await lab.databaseNames()).toContain(`leaflab-leaf:${DEFAULT_IMAGE_ID}:ws-leftover-keep`);
});
