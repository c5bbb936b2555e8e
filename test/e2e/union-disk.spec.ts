import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ChromiumProcess } from './support/chromium-process';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * The union block device keeps what the guest wrote: across a reload, a browser restart and a
 * browser killed with SIGKILL right after the guest's `sync`. One browser profile throughout,
 * as a student's browser would be; the tests run in order and build on each other.
 */
test.describe.configure({ mode: 'serial' });

const UNION = '?disk=union';
const profile = mkdtempSync(path.join(tmpdir(), 'leaflab-profile-'));
let browser: ChromiumProcess;
let lab: LabPage;
let baseURL: string;
let firstFileSha: string;

async function openLab(): Promise<void> {
  lab = new LabPage(await browser.newPage(), baseURL);
  await lab.open(DEFAULT_IMAGE_ID, UNION);
  await lab.waitForPrompt();
}

/** Writes 2 MiB of random bytes in the guest, syncs, and returns the file's sha-256. */
async function writeRandomFile(guestPath: string): Promise<string> {
  await lab.run(`dd if=/dev/urandom of=${guestPath} bs=1024 count=2048 2>/dev/null`, 60_000);
  const sha = await lab.sha256Of(guestPath);
  await lab.run('sync', 60_000);
  return sha;
}

test.beforeAll(async ({}, testInfo) => {
  baseURL = testInfo.project.use.baseURL!;
  browser = await ChromiumProcess.start(profile);
});

test.afterAll(async () => {
  await browser?.kill();
  rmSync(profile, { recursive: true, force: true });
});

test('a file written in the guest is still there after a reload', async () => {
  await openLab();
  firstFileSha = await writeRandomFile('/root/random.bin');
  const stats = await lab.page.evaluate(() => window.leaflab!.stats());
  expect(stats.diskMode).toBe('union');
  expect(stats.leafSectors).toBeGreaterThanOrEqual(4096); // the 2 MiB file at least
  expect(stats.pendingWrites).toBe(0);

  await lab.reload();
  await lab.waitForPrompt();
  await expect(lab.page.getByTestId('restored-changes')).toBeVisible();
  expect(await lab.sha256Of('/root/random.bin')).toBe(firstFileSha);
});

test('the file survives closing the browser and starting it again on the same profile', async () => {
  await browser.close();
  browser = await ChromiumProcess.start(profile);
  await openLab();
  expect(await lab.sha256Of('/root/random.bin')).toBe(firstFileSha);
});

test('a file synced just before the browser is killed (SIGKILL) survives', async () => {
  const secondFileSha = await writeRandomFile('/root/before-kill.bin');
  await browser.kill();
  browser = await ChromiumProcess.start(profile);
  await openLab();
  expect(await lab.sha256Of('/root/before-kill.bin')).toBe(secondFileSha);
  expect(await lab.sha256Of('/root/random.bin')).toBe(firstFileSha);
});

test('reset disk discards the changes and boots the pristine image', async () => {
  lab.page.once('dialog', (dialog) => void dialog.accept());
  await lab.click('Reset disk');
  await lab.waitForStatus('booting', 30_000);
  await lab.waitForPrompt();
  expect(await lab.run('ls /root/random.bin /root/before-kill.bin 2>&1; true')).toMatch(/No such file or directory[\s\S]*No such file or directory/);
  // The new leaf started empty (nothing to restore); booting writes only a few sectors
  // (mounting ext4 updates its superblock), far from the 8192 of the two files.
  await expect(lab.page.getByTestId('restored-changes')).toHaveCount(0);
  const stats = await lab.page.evaluate(() => window.leaflab!.stats());
  expect(stats.leafSectors).toBeLessThan(64);
});

test('a workspace made on another root image is refused, not mixed', async () => {
  await lab.run('echo kept > /root/kept.txt; sync');
  // Pretend the served image changed since the workspace was made: rewrite the leaf's record
  // of its root (a new build of the image would have another digest).
  const { storageId } = (await lab.workspace())!;
  await lab.page.evaluate(async ({ imageId, storageId }) => {
    const request = indexedDB.open(`leaflab-leaf:${imageId}:${storageId}`);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = db.transaction('meta', 'readwrite');
    const store = tx.objectStore('meta');
    const get = store.get('meta');
    get.onsuccess = () => store.put({ ...get.result, root: { ...get.result.root, sha256: '0'.repeat(64) } }, 'meta');
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, { imageId: DEFAULT_IMAGE_ID, storageId });

  await lab.reload();
  await lab.waitForStatus('error', 30_000).catch(() => undefined);
  expect(await lab.status()).toBe('error');
  await expect(lab.page.getByRole('alert').filter({ hasText: 'was made on image' })).toContainText('000000000000');
  // Nothing was booted on the mixed disk.
  expect(await lab.serialOutput()).toBe('');
});
