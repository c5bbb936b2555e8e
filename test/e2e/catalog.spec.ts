import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { parseManifest } from '../../lib/images/manifest';
import { newProgress, withCheckResult, type LessonProgress } from '../../lib/lessons/lesson-progress';
import { DEFAULT_IMAGE_ID, defaultManifest } from './support/default-image';

test('the catalog page lists the default image with its title, description and size', async ({ page }) => {
  const manifest = defaultManifest();
  await page.goto('/');
  const card = page.locator(`[data-image-id="${DEFAULT_IMAGE_ID}"]`);
  await expect(card.getByRole('heading', { name: manifest.title })).toBeVisible();
  await expect(card).toContainText(manifest.description);
  await expect(card).toContainText(`${manifest.sizeBytes / 1048576} MiB disk`);
  await card.getByRole('link', { name: 'Open lab' }).click();
  await expect(page).toHaveURL(new RegExp(`/lab/${DEFAULT_IMAGE_ID}$`));
});

test('the catalog page shows debian-lab with what is inside and how much of its disk is data', async ({ page }) => {
  const manifestPath = path.join(process.cwd(), 'catalog', 'debian-lab', 'manifest.json');
  const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  await page.goto('/');
  const card = page.locator('[data-image-id="debian-lab"]');
  await expect(card.getByRole('heading', { name: manifest.title })).toBeVisible();
  await expect(card).toContainText('2.0 GiB disk');
  await expect(card).toContainText(/\d+ MiB of it not all-zero/);
  const inside = card.getByRole('listitem');
  await expect(inside).toHaveCount(manifest.contents!.length);
  for (const line of manifest.contents!) await expect(card).toContainText(line);
  // Every image of this checkout is built here, so none is offered as "not built yet".
  await expect(page.locator('[data-recipe-id]')).toHaveCount(0);
});

/** What GET /api/labs answers, as far as the catalog page shows it. */
interface ServedLab {
  id: string;
  title: string;
  description: string;
  image: string;
  steps: unknown[];
}

async function servedLabs(request: APIRequestContext): Promise<ServedLab[]> {
  const response = await request.get('/api/labs');
  expect(response.status()).toBe(200);
  return (await response.json()) as ServedLab[];
}

async function builtImageIds(request: APIRequestContext): Promise<Set<string>> {
  const images = (await (await request.get('/api/images')).json()) as Array<{ id: string }>;
  return new Set(images.map((image) => image.id));
}

const stepCountText = (stepCount: number) => `${stepCount} step${stepCount === 1 ? '' : 's'}`;

test('the catalog page lists every lab GET /api/labs serves: linked when its image is built, with the build command when not', async ({ page, request }) => {
  const labs = await servedLabs(request);
  const built = await builtImageIds(request);
  expect(labs.map((lab) => lab.id)).toContain('linux-basics');
  await page.goto('/');
  // Labs come first: they are what a student opens the site for.
  await expect(page.getByRole('heading', { level: 1 }).first()).toHaveText('Labs');
  await expect(page.getByRole('list', { name: 'Labs' }).locator('[data-lab-id]')).toHaveCount(labs.length);
  for (const lab of labs) {
    const card = page.locator(`[data-lab-id="${lab.id}"]`);
    await expect(card.getByRole('heading', { name: lab.title })).toBeVisible();
    await expect(card).toContainText(lab.description);
    await expect(card).toContainText(stepCountText(lab.steps.length));
    if (built.has(lab.image)) {
      await expect(card.getByRole('link', { name: 'Start lab' })).toHaveAttribute('href', `/labs/${lab.id}`);
    } else {
      // linux-basics in a checkout where debian-lab is not built: no link to a page that cannot open.
      await expect(card).toContainText(`npm run image -- ${lab.image}`);
      await expect(card.getByRole('link')).toHaveCount(0);
    }
  }
});

test('a lab card shows the progress this browser saved in the lab workspace', async ({ page, request }) => {
  const lab = (await servedLabs(request)).find((served) => served.id === 'linux-basics')!;
  const imageBuilt = (await builtImageIds(request)).has(lab.image);
  const stepCount = lab.steps.length;
  await page.goto('/');
  const card = page.locator('[data-lab-id="linux-basics"]');
  const progressText = card.getByTestId('lab-progress');
  // Read from the registry, which this read also creates: the record below goes into the app's own schema.
  await expect(progressText).toHaveText('Not started');

  const passed = { status: 0, timedOut: false, outputText: '' };
  let progress = newProgress(lab.id);
  for (const step of [1, 2, 3]) progress = withCheckResult(progress, stepCount, step, passed, Date.now());
  await saveLabProgress(page, lab, { ...progress, currentStep: 4 });
  await page.reload();
  await expect(progressText).toHaveText(`3 of ${stepCount} steps done`);
  if (imageBuilt) await expect(card.getByRole('link', { name: 'Continue lab' })).toHaveAttribute('href', `/labs/${lab.id}`);

  for (let step = 4; step <= stepCount; step++) progress = withCheckResult(progress, stepCount, step, passed, Date.now());
  await saveLabProgress(page, lab, progress);
  await page.reload();
  await expect(progressText).toHaveText('Finished');
});

test('the catalog page fits an 800 px wide window with no horizontal scroll', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 900 });
  await page.goto('/');
  await expect(page.locator('[data-lab-id]').first()).toBeVisible();
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
});

/**
 * Writes the lab workspace's record as the lesson page does (registry-schema.ts: store
 * `workspaces`, key [imageId, name], the lab's workspace named lab-<id>), straight into the
 * page's IndexedDB: booting the lab's guest to earn the progress would take minutes.
 */
async function saveLabProgress(page: Page, lab: ServedLab, lessonProgress: LessonProgress): Promise<void> {
  await page.evaluate(
    async ({ imageId, name, lessonProgress }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('leaflab-workspaces');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const tx = db.transaction('workspaces', 'readwrite');
      const now = Date.now();
      tx.objectStore('workspaces').put({
        imageId,
        name,
        storageId: 'ws-catalog-e2e',
        createdAt: now,
        lastUsedAt: now,
        settings: { memoryMiB: 512, vgaMemoryMiB: 8, acpi: true },
        lessonProgress,
      });
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { imageId: lab.image, name: `lab-${lab.id}`, lessonProgress },
  );
}

test('GET /api/images lists the manifests with the URL each image is served at', async ({ request }) => {
  const manifest = defaultManifest();
  const response = await request.get('/api/images');
  expect(response.status()).toBe(200);
  const images = (await response.json()) as Array<Record<string, unknown>>;
  const listed = images.find((image) => image.id === DEFAULT_IMAGE_ID);
  expect(listed).toMatchObject({
    id: DEFAULT_IMAGE_ID,
    title: manifest.title,
    sizeBytes: manifest.sizeBytes,
    sha256: manifest.sha256,
    url: `/images/${DEFAULT_IMAGE_ID}/${manifest.sha256}.img`,
  });
  const head = await request.head(listed?.url as string);
  expect(head.status()).toBe(200);
  expect(Number(head.headers()['content-length'])).toBe(manifest.sizeBytes);
});

test('an unknown image id gives a page that says so and lists what exists', async ({ page }) => {
  await page.goto('/lab/no-such-image');
  await expect(page.getByRole('heading', { name: 'No image “no-such-image”' })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'no image with this id' })).toContainText(DEFAULT_IMAGE_ID);
});
