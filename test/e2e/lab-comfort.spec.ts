import { expect, test, type Page } from '@playwright/test';
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

/** Where an element is relative to the viewport, in CSS pixels. */
function boxOf(page: Page, testId: string) {
  return page.getByTestId(testId).evaluate((element) => {
    const { left, right, top, bottom } = element.getBoundingClientRect();
    return { left, right, top, bottom, viewportHeight: window.innerHeight };
  });
}

test('the layout works from a laptop to a projector, and a walk-through step brings the block map on screen', async ({ page }) => {
  const lab = new LabPage(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await lab.open(DEFAULT_IMAGE_ID, '?ws=layout');
  await lab.waitForPrompt();

  for (const [width, height] of [
    [800, 1000],
    [1280, 720],
    [1920, 1080],
    [3840, 2160],
  ] as const) {
    await page.setViewportSize({ width, height });
    // Nothing sticks out sideways: the page never scrolls horizontally.
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), `overflow at ${width} px`).toBeLessThanOrEqual(0);
    const screen = await boxOf(page, 'vga-screen');
    expect(screen.right - screen.left, `screen width at ${width} px`).toBeGreaterThan(300);
    const map = await boxOf(page, 'block-map');
    const walkthrough = await boxOf(page, 'walkthrough');
    if (width >= 1280) expect(walkthrough.left, `walk-through beside the map at ${width} px`).toBeGreaterThanOrEqual(map.right);
    else expect(walkthrough.top, `walk-through under the map at ${width} px`).toBeGreaterThanOrEqual(map.bottom);
  }

  // On a laptop the map starts below the fold; a step's button scrolls it on screen, and the
  // walk-through, beside it, stays in view.
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const before = await boxOf(page, 'block-map');
  expect(before.top).toBeGreaterThan(before.viewportHeight);
  const printed = (await lab.serialOutput()).length;
  await page.getByTestId('walkthrough').getByRole('button', { name: 'Run in the machine' }).first().click();
  await expect.poll(async () => (await boxOf(page, 'block-map')).top).toBeLessThan(720);
  const walkthrough = await boxOf(page, 'walkthrough');
  expect(walkthrough.top).toBeLessThan(720);
  expect(walkthrough.bottom).toBeGreaterThan(0);
  await lab.waitForSerial(/ sda1\r?\n/, printed, 30_000); // the step's command ran in the guest
});
