import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { publishLayer } from '../../lib/layers/publish-layer';
import { createBitmap, markSector } from '../../lib/disk/sector-bitmap';
import { memoryFrozenLayer, seededBytes } from '../support/memory-frozen-layer';
import { defaultManifest, DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';
import { checkpoint, restore, sectorsByLayer } from './support/layers';

/**
 * Layers (issue #10): checkpoints restore and fork, a checkpoint published as an environment
 * opens in other browsers as root + layers + their own leaf, and the disk exports as qcow2
 * that QEMU accepts and Leaflab imports again. Guest files are compared by their sha-256,
 * computed in the guest.
 */

async function checkpoints(page: Page) {
  return page.evaluate(() => window.leaflab!.checkpoints());
}

test('a checkpoint restores, forks into a workspace that shares it, and cannot be deleted while used', async ({ page }) => {
  test.setTimeout(480_000);
  const lab = new LabPage(page);
  await lab.open(DEFAULT_IMAGE_ID, '?ws=cp-main');
  await lab.waitForPrompt();
  const shaA = await lab.writeRandomFile('/root/a.bin', 512);
  const leafBefore = (await sectorsByLayer(page)) as Record<string, number>;

  const idA = await checkpoint(page, 'with A');
  // Metadata only: the sectors the leaf held are now the checkpoint's, and the new leaf is empty.
  const afterCheckpoint = await sectorsByLayer(page);
  const leafIdBefore = Object.keys(leafBefore).find((id) => id !== 'root' && id !== 'zero')!;
  expect(leafIdBefore).toBe(idA);
  expect(afterCheckpoint[idA]).toBe(leafBefore[idA]);
  const listed = await checkpoints(page);
  expect(listed).toEqual([expect.objectContaining({ id: idA, name: 'with A', workspace: 'cp-main' })]);
  expect(listed[0]!.bytes).toBeGreaterThanOrEqual(512 * 1024);
  await expect(page.getByTestId('checkpoints-panel').locator('[data-checkpoint="with A"]')).toBeVisible();

  // The guest kept running through the checkpoint: write B on top of it, then go back.
  await lab.writeRandomFile('/root/b.bin', 256);
  const layersWithB = await sectorsByLayer(page);
  const liveLeafId = Object.keys(layersWithB).find((id) => ![idA, 'root', 'zero'].includes(id))!;
  expect(layersWithB[liveLeafId]).toBeGreaterThan(0);
  await restore(page, idA);
  await lab.waitForPrompt();
  expect(await lab.sha256Of('/root/a.bin')).toBe(shaA);
  expect(await lab.fileExists('/root/b.bin')).toBe(false);

  // Fork: a new workspace on the same checkpoint; its layers are shared, not copied.
  await page.evaluate((id) => window.leaflab!.fork(id, 'cp-fork'), idA);
  await lab.open(DEFAULT_IMAGE_ID, '?ws=cp-fork');
  await lab.waitForPrompt();
  expect(await lab.sha256Of('/root/a.bin')).toBe(shaA);
  // The fork reads the checkpoint itself (its own boot's writes hide a few of its sectors).
  expect((await sectorsByLayer(page))[idA]).toBeGreaterThan(afterCheckpoint[idA]! / 2);
  await lab.writeRandomFile('/root/fork-only.bin', 128);
  await expect(page.getByTestId('checkpoint-usage')).toHaveAttribute('data-usage-bytes', String(listed[0]!.bytes));
  await expect(page.getByTestId('checkpoint-usage')).toContainText('in 1 checkpoint');

  // Writes in either workspace stay invisible to the other.
  await lab.open(DEFAULT_IMAGE_ID, '?ws=cp-main');
  await lab.waitForPrompt();
  expect(await lab.fileExists('/root/fork-only.bin')).toBe(false);
  await lab.writeRandomFile('/root/main-only.bin', 128);

  // Deleting the checkpoint both workspaces stack is refused, and says who uses it.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('checkpoints-panel').locator('[data-checkpoint="with A"]').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('checkpoints-panel')).toContainText(/cannot be deleted: workspace "cp-(main|fork)", workspace "cp-(main|fork)"/);
  expect((await checkpoints(page)).map((c) => c.id)).toEqual([idA]);

  await lab.open(DEFAULT_IMAGE_ID, '?ws=cp-fork');
  await lab.waitForPrompt();
  expect(await lab.fileExists('/root/main-only.bin')).toBe(false);
  expect(await lab.fileExists('/root/fork-only.bin')).toBe(true);
});

test('a published environment opens in fresh browsers, keeps each recipient’s changes, and stacks', async ({ browser }) => {
  test.setTimeout(600_000);
  const teacherContext = await browser.newContext();
  const teacher = new LabPage(await teacherContext.newPage());
  await teacher.open(DEFAULT_IMAGE_ID, '?ws=publisher');
  await teacher.waitForPrompt();
  const shaLesson = await teacher.writeRandomFile('/root/lesson.bin', 512);
  const idLesson = await checkpoint(teacher.page, 'lesson');
  const link = await teacher.page.evaluate((id) => window.leaflab!.publish(id), idLesson);
  const url = new URL(link);
  expect(url.pathname).toBe(`/lab/${DEFAULT_IMAGE_ID}`);
  const layerId = url.searchParams.get('layer')!;
  expect(layerId).toMatch(/^[0-9a-f]{64}$/);
  expect(url.searchParams.get('sha256')).toBe(defaultManifest().sha256);
  // The publisher's later writes are never part of the environment.
  await teacher.writeRandomFile('/root/after-publish.bin', 64);

  const studentContext = await browser.newContext();
  const student = new LabPage(await studentContext.newPage());
  await student.page.goto(link);
  await expect(student.page).toHaveURL(/[?&]ws=shared-1(&|$)/);
  await student.waitForPrompt();
  expect(await student.sha256Of('/root/lesson.bin')).toBe(shaLesson);
  expect(await student.fileExists('/root/after-publish.bin')).toBe(false);
  expect((await sectorsByLayer(student.page))[layerId]).toBeGreaterThanOrEqual(1024);
  const shaWork = await student.writeRandomFile('/root/student.bin', 256);
  await student.reload();
  await student.waitForPrompt();
  expect(await student.sha256Of('/root/student.bin')).toBe(shaWork);
  expect(await student.sha256Of('/root/lesson.bin')).toBe(shaLesson);

  // The student publishes on top: a chain of two published layers, opened in a third browser.
  // This time through the page's button: the link appears beside the checkpoints.
  const idStudent = await checkpoint(student.page, 'my answer');
  await student.page.getByRole('button', { name: 'Publish and share my answer' }).click();
  const link2 = await student.page.getByTestId('environment-link').inputValue({ timeout: 60_000 });
  const layer2 = new URL(link2).searchParams.get('layer')!;
  expect(layer2).toMatch(/^[0-9a-f]{64}$/);
  expect(layer2).not.toBe(layerId);
  expect((await checkpoints(student.page)).find((c) => c.id === idStudent)?.publishedId).toBe(layer2);
  const reviewerContext = await browser.newContext();
  const reviewer = new LabPage(await reviewerContext.newPage());
  await reviewer.page.goto(link2);
  await reviewer.waitForPrompt();
  expect(await reviewer.sha256Of('/root/student.bin')).toBe(shaWork);
  expect(await reviewer.sha256Of('/root/lesson.bin')).toBe(shaLesson);
  const served = await sectorsByLayer(reviewer.page);
  expect(served[layerId]).toBeGreaterThan(0);
  expect(served[layer2]).toBeGreaterThan(0);

  await Promise.all([teacherContext.close(), studentContext.close(), reviewerContext.close()]);
});

test('environment links that are malformed, unknown or made on another image each get their own page', async ({ page }) => {
  const sha = defaultManifest().sha256;
  const base = `/lab/${DEFAULT_IMAGE_ID}?share=1&sha256=${sha}&memory=128&vga=8&acpi=on`;
  await page.goto(`${base}&layer=not-a-layer`);
  await expect(page.getByRole('heading', { name: 'This share link is damaged' })).toBeVisible();
  await expect(page.getByTestId('share-link-problems')).toContainText('"layer" must be');

  await page.goto(`${base}&layer=${'e'.repeat(64)}`);
  await expect(page.getByRole('heading', { name: 'This shared environment does not exist here' })).toBeVisible();

  // A layer published on debian-lab's root, opened as a leaflab-linux environment.
  const other = JSON.parse(readFileSync(path.join('catalog', 'debian-lab', 'manifest.json'), 'utf8')) as { id: string; sha256: string; sizeBytes: number };
  const root = { id: other.id, sha256: other.sha256, sizeBytes: other.sizeBytes };
  const bitmap = createBitmap(64);
  markSector(bitmap, 0);
  const layer = memoryFrozenLayer('local', root, 32 * 1024, new Map([[100, { bitmap, data: seededBytes(32 * 1024, 7) }]]));
  const otherId = await publishLayer({ layer, parentId: null, root, serverUrl: new URL(page.url()).origin });
  await page.goto(`${base}&layer=${otherId}`);
  await expect(page.getByRole('heading', { name: 'This environment was made on another image' })).toBeVisible();
  await expect(page.getByTestId('layer-problem')).toContainText(other.sha256);
});

async function download(page: Page, button: string, file: string): Promise<void> {
  const started = page.waitForEvent('download', { timeout: 120_000 });
  await page.getByRole('button', { name: button, exact: true }).click();
  await (await started).saveAs(file);
}

test('the disk exports as a qcow2 overlay QEMU accepts, and imports into a new workspace; a damaged file creates nothing', async ({ page }) => {
  test.setTimeout(480_000);
  const folder = mkdtempSync(path.join(tmpdir(), 'leaflab-qcow2-'));
  const lab = new LabPage(page);
  await lab.open(DEFAULT_IMAGE_ID, '?ws=qc-source');
  await lab.waitForPrompt();
  const shaFrozen = await lab.writeRandomFile('/root/frozen.bin', 512);
  await checkpoint(page, 'before live');
  const shaLive = await lab.writeRandomFile('/root/live.bin', 256);

  await download(page, 'Download disk', path.join(folder, 'disk.img'));
  await download(page, 'Download qcow2', path.join(folder, 'disk.qcow2'));
  const manifest = defaultManifest();
  symlinkSync(path.resolve('catalog', DEFAULT_IMAGE_ID, 'disk.img'), path.join(folder, `${DEFAULT_IMAGE_ID}-${manifest.sha256.slice(0, 12)}.img`));
  const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { cwd: folder, encoding: 'utf8' });
  expect(qemuImg('check', 'disk.qcow2')).toContain('No errors were found');
  expect(qemuImg('compare', 'disk.qcow2', 'disk.img')).toContain('Images are identical');
  const info = JSON.parse(qemuImg('info', '--output=json', 'disk.qcow2')) as { 'backing-filename': string; 'backing-filename-format': string };
  expect(info['backing-filename-format']).toBe('raw');

  // A truncated copy: refused with a message; no workspace, no database appears.
  const qcow2 = readFileSync(path.join(folder, 'disk.qcow2'));
  writeFileSync(path.join(folder, 'damaged.qcow2'), qcow2.subarray(0, Math.floor(qcow2.length * 0.6)));
  const databasesBefore = (await lab.databaseNames()).sort();
  const form = page.getByTestId('import-disk');
  await form.getByLabel('qcow2 file').setInputFiles(path.join(folder, 'damaged.qcow2'));
  await form.getByLabel('Imported workspace name').fill('qc-damaged');
  await form.getByRole('button', { name: 'Import qcow2' }).click();
  await expect(form).toContainText('Nothing was imported');
  expect((await lab.databaseNames()).sort()).toEqual(databasesBefore);
  await expect(page.locator('[data-workspace="qc-damaged"]')).toHaveCount(0);

  await form.getByLabel('qcow2 file').setInputFiles(path.join(folder, 'disk.qcow2'));
  await form.getByLabel('Imported workspace name').fill('qc-imported');
  await form.getByRole('button', { name: 'Import qcow2' }).click();
  await expect(page).toHaveURL(/[?&]ws=qc-imported(&|$)/, { timeout: 60_000 });
  await page.waitForFunction(() => window.leaflab?.workspace.name === 'qc-imported');
  await lab.waitForPrompt();
  expect(await lab.sha256Of('/root/frozen.bin')).toBe(shaFrozen);
  expect(await lab.sha256Of('/root/live.bin')).toBe(shaLive);
});
