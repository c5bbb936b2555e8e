import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { busyboxRootfsTarball, convertedDisk, markedRawDisk } from '../support/image-inputs';
import { LabPage } from './support/lab-page';
import { LabServer } from './support/servers';

/**
 * What `npm run image:add` adds boots to a prompt in the lab: a raw disk, a qcow2 and a root
 * filesystem tarball, each made by the test and marked so the test can tell which one booted.
 * They go into a catalog folder of the test's own, served by a second lab server.
 */
test.describe.configure({ mode: 'serial' });

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-image-add-e2e-'));
const catalog = path.join(work, 'catalog');
let server: LabServer;

function imageAdd(...args: string[]): void {
  const result = spawnSync('npm', ['run', '--silent', 'image:add', '--', ...args], {
    env: { ...process.env, LEAFLAB_CATALOG_DIR: catalog },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`image:add ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  const inputs = path.join(work, 'inputs');
  mkdirSync(inputs, { recursive: true });
  const raw = markedRawDisk(inputs, 'booted-the-raw-disk');
  imageAdd(raw, '--id', 'added-raw', '--title', 'Added raw disk', '--memory-mib', '128');
  const qcow2 = convertedDisk(markedRawDisk(mkdtempSync(path.join(inputs, 'q-')), 'booted-the-qcow2'), 'qcow2');
  // Only the raw disk's boot set is recorded (a boot in v86 each), to keep npm test short.
  imageAdd(qcow2, '--id', 'added-qcow2', '--title', 'Added qcow2 disk', '--memory-mib', '128', '--no-boot-set');
  imageAdd(busyboxRootfsTarball(inputs, 'booted-the-tarball'), '--id', 'added-rootfs', '--title', 'Added root filesystem', '--free-mib', '128', '--no-boot-set');
  server = await LabServer.start({ LEAFLAB_CATALOG_DIR: catalog });
});

test.afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('the catalog lists each added image with what is inside', async ({ page }) => {
  await page.goto(`${server.url}/`);
  for (const [id, inside] of [
    ['added-raw', 'raw disk image marked.img'],
    ['added-qcow2', 'qcow2 disk marked.qcow2, converted to raw'],
    ['added-rootfs', 'BusyBox test root from busybox-rootfs.tar.gz'],
  ] as const) {
    await expect(page.locator(`[data-image-id="${id}"]`)).toContainText(inside);
  }
  // This catalog has none of the project's own images: the page says how to build them.
  for (const recipe of ['leaflab-linux', 'debian-lab']) {
    await expect(page.locator(`[data-recipe-id="${recipe}"]`)).toContainText(`npm run image -- ${recipe}`);
  }
});

for (const [id, marker] of [
  ['added-raw', 'booted-the-raw-disk'],
  ['added-qcow2', 'booted-the-qcow2'],
  ['added-rootfs', 'booted-the-tarball'],
] as const) {
  test(`${id} boots to a shell prompt in the lab, from its own disk`, async ({ page }) => {
    const lab = new LabPage(page, server.url);
    await lab.open(id);
    await lab.waitForPrompt();
    expect(await lab.run('cat /leaflab-marker')).toContain(marker);
    expect(await lab.run('echo sum-$((6*7))')).toContain('sum-42');
  });
}
