import { expect, test } from '@playwright/test';
import { defaultManifest, DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * "Share" copies a link that opens the same image and machine settings in a fresh workspace
 * in someone else's browser; a link that is malformed, names an unknown image or an image
 * that changed opens a page that says so.
 */
test('a share link opens the same image and settings in a fresh workspace of another browser', async ({ browser, baseURL }) => {
  const teacherContext = await browser.newContext();
  await teacherContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(baseURL!).origin });
  const teacher = new LabPage(await teacherContext.newPage());
  await teacher.open(DEFAULT_IMAGE_ID, '?ws=lesson');
  await teacher.waitForPrompt();
  await teacher.run('echo teacher-only > /root/teacher.txt; sync');

  // Give the lesson's machine 256 MiB instead of the image's 128 MiB.
  await teacher.page.getByLabel('Memory', { exact: true }).selectOption('256');
  teacher.page.once('dialog', (dialog) => void dialog.accept());
  await teacher.page.getByRole('button', { name: 'Apply and restart' }).click();
  await teacher.waitForStatus('booting', 30_000);
  await teacher.waitForPrompt();

  await teacher.click('Share');
  const link = await teacher.page.getByTestId('share-link').inputValue();
  expect(await teacher.page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  const url = new URL(link);
  expect(url.pathname).toBe(`/lab/${DEFAULT_IMAGE_ID}`);
  expect(url.searchParams.get('memory')).toBe('256');
  expect(url.searchParams.get('sha256')).toBe(defaultManifest().sha256);

  // A student's browser: another context, nothing of the teacher's storage.
  const studentContext = await browser.newContext();
  const student = new LabPage(await studentContext.newPage());
  await student.page.goto(link);
  await expect(student.page).toHaveURL(/[?&]ws=shared-1(&|$)/);
  await student.page.waitForFunction(() => window.leaflab?.workspace.name === 'shared-1');
  await student.waitForPrompt();
  const meminfo = await student.run('grep MemTotal /proc/meminfo');
  const totalKiB = Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)?.[1]);
  expect(totalKiB).toBeGreaterThan(200 * 1024); // 256 MiB minus what the kernel keeps; 128 MiB would be < 128 * 1024
  expect(await student.fileExists('/root/teacher.txt')).toBe(false);
  await expect(student.page.getByLabel('Memory', { exact: true })).toHaveValue('256');

  // Opening the link again in the same browser makes another fresh workspace, not a shared disk.
  await student.page.goto(link);
  await expect(student.page).toHaveURL(/[?&]ws=shared-2(&|$)/);

  await teacherContext.close();
  await studentContext.close();
});

test('malformed, unknown-image and changed-image share links open a page that says so', async ({ page }) => {
  const { sha256 } = defaultManifest();
  await page.goto(`/lab/${DEFAULT_IMAGE_ID}?share=1&sha256=xyz&memory=lots&vga=8&acpi=maybe`);
  await expect(page.getByRole('heading', { name: 'This share link is damaged' })).toBeVisible();
  const problems = page.getByTestId('share-link-problems');
  await expect(problems).toContainText('"sha256" must be the image digest');
  await expect(problems).toContainText('"memory" must be a whole number of MiB');
  await expect(problems).toContainText('"acpi" must be on or off');
  expect(await page.evaluate(() => window.leaflab)).toBeUndefined(); // no machine was started

  await page.goto(`/lab/no-such-image?share=1&sha256=${sha256}&memory=128&vga=8&acpi=on`);
  await expect(page.getByRole('heading', { name: 'No image “no-such-image”' })).toBeVisible();

  await page.goto(`/lab/${DEFAULT_IMAGE_ID}?share=1&sha256=${'0'.repeat(64)}&memory=128&vga=8&acpi=on`);
  await expect(page.getByRole('heading', { name: 'The image of this share link has changed' })).toBeVisible();
  await expect(page.getByText(sha256)).toBeVisible();
  expect(await page.evaluate(() => window.leaflab)).toBeUndefined();
});
