import { expect, test, type Page } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';
import { SHELL_PROMPT_AT_END } from '../../lib/lab/serial-log';

// One guest boots once and the tests below share it, in order: booting costs ~20-40 s of CPU.
test.describe.configure({ mode: 'serial' });

let page: Page;
let lab: LabPage;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  lab = new LabPage(page);
});

test.afterAll(async () => {
  await page.close();
});

test('the lab boots the default image to a shell prompt in the browser', async () => {
  await lab.open(DEFAULT_IMAGE_ID);
  // The progress indicator shows while the emulator loads and the guest boots.
  await expect(page.locator('.status-bar progress')).toBeVisible();
  await lab.waitForPrompt();
  await lab.expectStatusBadge('Running');
  expect(await lab.serialOutput()).toMatch(SHELL_PROMPT_AT_END);
  const stats = await page.evaluate(() => window.leaflab!.stats());
  // The boot read the disk lazily over HTTP Range requests.
  expect(stats.requests).toBeGreaterThan(0);
  expect(stats.bytesFetched).toBeGreaterThan(0);
  expect(stats.reads).toBeGreaterThan(0);
  expect(stats.asyncReads).toBeLessThanOrEqual(stats.reads);
  expect(stats.engineMs).toBeGreaterThan(0);
  await expect(page.getByTestId('stat-read-wait')).toContainText('reads answered later');
  // The boot set was fetched ahead, so the boot itself may not have waited at all; a file the
  // boot never read is fetched when read: those reads wait, and the waits are counted.
  await lab.run('cat /usr/share/leaflab/sample.txt > /dev/null', 60_000);
  const after = await page.evaluate(() => window.leaflab!.stats());
  expect(after.bytesFetched).toBeGreaterThan(stats.bytesFetched);
  expect(after.asyncReads).toBeGreaterThan(stats.asyncReads);
  expect(after.readWaitMs).toBeGreaterThan(stats.readWaitMs);
});

test('a command typed into the serial console shows its output there', async () => {
  const terminal = page.getByTestId('serial-console');
  await terminal.click();
  const fromOffset = (await lab.serialOutput()).length;
  await page.keyboard.type('uname -m; cat /proc/cmdline\n');
  const output = await lab.waitForSerial(/console=ttyS0[^\n]*\n[\s\S]*# /, fromOffset);
  expect(output).toContain('i686');
  // xterm.js drew it, not just the hook that recorded it.
  await expect(terminal.locator('.xterm-rows')).toContainText('console=ttyS0');
  await expect(terminal.locator('.xterm-rows')).toContainText('i686');
});

test('the VGA screen shows the guest console text', async () => {
  await expect.poll(() => lab.screenText(), { timeout: 20_000 }).toMatch(/leaflab/);
  await expect(page.getByTestId('vga-screen')).toContainText('leaflab');
});

test('stop pauses the machine, start resumes it, restart boots it again', async () => {
  await lab.click('Stop');
  await lab.expectStatusBadge('Stopped');
  await lab.click('Start');
  await lab.expectStatusBadge('Running');
  const output = await lab.run('echo resumed-$((40+2))');
  expect(output).toContain('resumed-42');

  await lab.click('Restart');
  await lab.expectStatusBadge('Booting');
  await lab.waitForPrompt();
  expect(await lab.run('cat /proc/uptime')).toMatch(/^\s*\d+\.\d+/m);
});

test('an unknown disk mode gives a page that names the valid ones', async () => {
  await page.goto(`/lab/${DEFAULT_IMAGE_ID}?disk=floppy`);
  await expect(page.getByRole('heading', { name: 'Unknown disk mode' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'v86-async' })).toBeVisible();
});
