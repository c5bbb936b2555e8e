import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * The keyboard belongs to the page until the user gives it to the machine (click or Tab onto
 * the screen), and Ctrl+Alt+G gives it back: controls stay reachable by keyboard.
 */
test('keyboard capture on the screen, a visible hint, and release with Ctrl+Alt+G', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open(DEFAULT_IMAGE_ID, '?ws=comfort');
  await lab.waitForPrompt();
  const hint = page.getByTestId('capture-hint');
  await expect(hint).toContainText('Click the screen');

  // Typing while the page has the keyboard does not reach the guest.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.type('not-for-the-guest');
  expect(await lab.screenText()).not.toContain('not-for-the-guest');

  const screen = page.getByTestId('vga-screen');
  await screen.focus();
  await expect(hint).toContainText('Ctrl+Alt+G releases the keyboard');
  // Unshifted characters only: Playwright types "$" without a Shift key-down, which v86 reads as "4".
  await page.keyboard.type('echo typed-on-the-vga');
  await page.keyboard.press('Enter');
  await expect.poll(() => lab.screenText(), { timeout: 15_000 }).toMatch(/\ntyped-on-the-vga/);

  await page.keyboard.press('Control+Alt+KeyG');
  await expect(hint).toContainText('Click the screen');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).not.toBe('vga-screen');
  await page.keyboard.type('released-keys');
  expect(await lab.screenText()).not.toContain('released-keys');

  // Beside the machine: the labs that teach on this image.
  await expect(page.getByTestId('labs-on-image').getByRole('link', { name: 'Copy-on-write, block by block' })).toHaveAttribute('href', '/labs/copy-on-write');

  // The controls are labelled and reachable by keyboard.
  for (const name of ['Start', 'Stop', 'Restart', 'Reset disk', 'Share', 'Fullscreen']) {
    await expect(page.getByRole('button', { name, exact: true }).first()).toBeVisible();
  }
  await page.getByRole('button', { name: 'Fullscreen' }).focus();
  await page.keyboard.press('Tab');
  await expect(screen).toBeFocused(); // the screen comes next in the tab order
  await page.keyboard.press('Control+Alt+KeyG');
  await expect(screen).not.toBeFocused();
});
