import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';
import { LabServer, NginxServer } from './support/servers';

/**
 * The root image can live on any static host with Range support: here Debian's nginx serves
 * the catalog folder, and a lab server configured with LEAFLAB_IMAGE_BASE_URL points the
 * browser at it. The union disk boots from nginx's replies alone.
 */
let nginx: NginxServer;
let lab: LabServer;

test.beforeAll(async () => {
  nginx = await NginxServer.start(path.join(process.cwd(), 'catalog'));
  lab = await LabServer.start({ LEAFLAB_IMAGE_BASE_URL: nginx.url });
});

test.afterAll(async () => {
  await lab?.stop();
  await nginx?.stop();
});

test('the default image boots on the union disk from an nginx-served root', async ({ page, request }) => {
  const images = (await (await request.get(`${lab.url}/api/images`)).json()) as Array<{ id: string; url: string }>;
  const imageUrl = `${nginx.url}/${DEFAULT_IMAGE_ID}/disk.img`;
  expect(images.find((image) => image.id === DEFAULT_IMAGE_ID)?.url).toBe(imageUrl);

  const labPage = new LabPage(page, lab.url);
  await labPage.open(DEFAULT_IMAGE_ID, '?disk=union');
  await labPage.waitForPrompt();
  expect(await labPage.run('uname -m')).toContain('i686');

  const stats = await page.evaluate(() => window.leaflab!.stats());
  expect(stats.diskMode).toBe('union');
  expect(stats.requests).toBeGreaterThan(0);
  // Every one of those requests reached nginx as a range request answered with 206.
  const imageRequests = readFileSync(nginx.accessLogPath, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`GET /${DEFAULT_IMAGE_ID}/disk.img`));
  expect(imageRequests.length).toBe(stats.requests);
  for (const line of imageRequests) expect(line).toMatch(/" 206 /);
});

test('a malformed image base URL stops the lab server with a message that says so', async () => {
  await expect(LabServer.start({ LEAFLAB_IMAGE_BASE_URL: 'not a url' })).rejects.toThrow(/exited with code 2/);
});
