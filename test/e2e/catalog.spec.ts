import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parseManifest } from '../../lib/images/manifest';
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
