import { expect, test } from '@playwright/test';
import { LabPage } from './support/lab-page';

/**
 * A share link of debian-lab opens in another browser's fresh workspace, as `student`, without
 * the sharer's files. In the slow lane (`npm run test:slow`): share links are checked in
 * `npm test` on the default image (share-link.spec.ts), and this second image costs two boots.
 */
const IMAGE_ID = 'debian-lab';
const BOOT_LIMIT_MS = 180_000;

test("a share link opens debian-lab in another browser's fresh workspace, without this one's files", async ({ page, browser, baseURL }) => {
  test.setTimeout(8 * 60_000);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(baseURL!).origin });
  const lab = new LabPage(page);
  await lab.open(IMAGE_ID, '?ws=sharer');
  await lab.waitForStatus('running', BOOT_LIMIT_MS);
  await lab.writeRandomFile('/home/student/kept.bin', 256);
  await lab.click('Share');
  const link = await page.getByTestId('share-link').inputValue();
  expect(new URL(link).pathname).toBe(`/lab/${IMAGE_ID}`);
  const otherContext = await browser.newContext();
  try {
    const other = new LabPage(await otherContext.newPage());
    await other.page.goto(link);
    await other.page.waitForFunction(() => window.leaflab?.workspace.name === 'shared-1');
    await other.waitForStatus('running', BOOT_LIMIT_MS);
    expect(await other.run('id -un; hostname')).toMatch(/student\r?\ndebian-lab/);
    expect(await other.fileExists('/home/student/kept.bin')).toBe(false);
  } finally {
    await otherContext.close();
  }
});
