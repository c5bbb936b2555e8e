import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { CELL_STATE_COLORS, partitionOutlineColor } from '../../lib/blockmap/palette';
import { defaultManifest, DEFAULT_IMAGE_ID } from './support/default-image';
import { LabPage } from './support/lab-page';

/**
 * The live block map shows where each sector's data comes from. The guest writes raw sectors
 * 1024–1119, in the gap between the MBR and the first partition (2048) that nothing else
 * uses, so the test knows exactly which sectors are the leaf's. The range is 4 KiB-aligned:
 * Linux writes a block device through its page cache, a whole 4 KiB page at a time.
 */
const FIRST_SECTOR = 1024;
const SECTOR_COUNT = 96;
const LEAF_COLORS = [CELL_STATE_COLORS['leaf-full'], CELL_STATE_COLORS['leaf-partial']];

function layersOf(page: Page, first: number, count: number): Promise<string[]> {
  return page.evaluate(
    ([from, n]) => Array.from({ length: n }, (_, i) => window.leaflab?.sectorLayer(from + i) ?? 'none'),
    [first, count] as const,
  );
}

/**
 * The colour drawn in the map cell that shows `sector`, as #rrggbb: at its centre, or
 * `xInCellCss` CSS pixels from its left edge.
 */
async function cellColorOf(page: Page, sector: number, xInCellCss?: number): Promise<string> {
  return page.evaluate(([wanted, xInCell]) => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="block-map-canvas"]')!;
    const cell = window.leaflab!.blockMapCellOf(wanted)!;
    const columns = Number(canvas.dataset.columns);
    const cellSize = Number(canvas.dataset.cellSizeCss);
    const gridTop = Number(canvas.dataset.gridTopCss);
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const x = Math.floor(((cell % columns) * cellSize + (xInCell ?? cellSize / 2)) * ratio);
    const y = Math.floor((gridTop + (Math.floor(cell / columns) + 0.5) * cellSize) * ratio);
    const [r, g, b] = canvas.getContext('2d')!.getImageData(x, y, 1, 1).data;
    return `#${[r, g, b].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
  }, [sector, xInCellCss] as const);
}

/** Waits past the write flashes (they fade in under a second) so cells show their layer colour. */
async function waitForFlashesToFade(page: Page): Promise<void> {
  await page.waitForTimeout(1500);
}

/** Brings the map on screen (it draws only while visible) and waits for its first frame. */
async function showMap(page: Page): Promise<void> {
  const canvas = page.getByTestId('block-map-canvas');
  await canvas.scrollIntoViewIfNeeded();
  await expect(canvas).toHaveAttribute('data-columns', /^[1-9]\d*$/);
}

test('the block map shows written sectors as leaf, on the canvas too, the downloaded disk holds them, and root again after a reset', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open(DEFAULT_IMAGE_ID, '?ws=block-map');
  await lab.waitForPrompt();
  const map = page.getByTestId('block-map');
  await expect(map).toBeVisible();
  await expect(page.getByTestId('block-map-legend')).toContainText('Leaf, fully written');
  expect(new Set(await layersOf(page, FIRST_SECTOR, SECTOR_COUNT))).not.toContain('leaf');

  await lab.run(`dd if=/dev/urandom of=/dev/sda bs=512 seek=${FIRST_SECTOR} count=${SECTOR_COUNT} 2>/dev/null; sync`, 60_000);
  await expect.poll(async () => [...new Set(await layersOf(page, FIRST_SECTOR, SECTOR_COUNT))], { timeout: 15_000 }).toEqual(['leaf']);
  // The sectors around them are not the leaf's.
  expect(await layersOf(page, FIRST_SECTOR - 1, 1)).not.toEqual(['leaf']);
  expect(await layersOf(page, FIRST_SECTOR + SECTOR_COUNT, 1)).not.toEqual(['leaf']);

  // "Download disk" gives the merged disk as a raw image: the guest's sectors are in it.
  const guestSha = /\n([0-9a-f]{64}) {2}-/.exec(
    await lab.run(`dd if=/dev/sda bs=512 skip=${FIRST_SECTOR} count=${SECTOR_COUNT} 2>/dev/null | sha256sum`),
  )?.[1];
  const downloadStarted = page.waitForEvent('download', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Download disk' }).click();
  const download = await downloadStarted;
  expect(download.suggestedFilename()).toBe(`${DEFAULT_IMAGE_ID}-block-map.img`);
  const image = readFileSync((await download.path())!);
  expect(image.length).toBe(defaultManifest().sizeBytes);
  const region = image.subarray(FIRST_SECTOR * 512, (FIRST_SECTOR + SECTOR_COUNT) * 512);
  expect(createHash('sha256').update(region).digest('hex')).toBe(guestSha);
  expect(await lab.run('echo still-running-after-the-copy')).toContain('still-running-after-the-copy');

  // The copy-on-write lab's "write a file" command: more leaf cells appear.
  const leafCellsBefore = await page.evaluate(() => {
    const counts = window.leaflab!.blockMap()!.stateCounts;
    return counts['leaf-full'] + counts['leaf-partial'];
  });
  const printed = (await lab.serialOutput()).length;
  await page.evaluate(() => window.leaflab!.sendSerial('dd if=/dev/urandom of=$HOME/random.bin bs=64k count=64 && sync && ls -l $HOME/random.bin\n'));
  // `ls -l` of the 4 MiB file: the command ran (its echo also ends in random.bin).
  await lab.waitForSerial(/ 4194304 [^\n]*random\.bin\r?\n/, printed, 60_000);
  await expect
    .poll(
      () =>
        page.evaluate(() => {
          const counts = window.leaflab!.blockMap()!.stateCounts;
          return counts['leaf-full'] + counts['leaf-partial'];
        }),
      { timeout: 15_000 },
    )
    .toBeGreaterThan(leafCellsBefore + 10); // 4 MiB is 32 cells of 128 sectors

  // The canvas draws the written cell in a leaf colour.
  await showMap(page);
  await waitForFlashesToFade(page);
  const cell = await page.evaluate((sector) => window.leaflab!.blockMapCellOf(sector), FIRST_SECTOR);
  expect('pf').toContain((await page.evaluate(() => window.leaflab!.blockMap()!.cells))[cell!]);
  expect(LEAF_COLORS).toContain(await cellColorOf(page, FIRST_SECTOR));
  const shot = await page.screenshot({ fullPage: true });
  await test.info().attach('lab with the block map', { body: shot, contentType: 'image/png' });

  page.once('dialog', (dialog) => void dialog.accept());
  await lab.click('Reset disk');
  await lab.waitForStatus('booting', 30_000);
  await lab.waitForPrompt();
  await expect(page.getByTestId('block-map')).toBeVisible();
  expect(new Set(await layersOf(page, FIRST_SECTOR, SECTOR_COUNT))).not.toContain('leaf');
  await showMap(page);
  await waitForFlashesToFade(page);
  expect(LEAF_COLORS).not.toContain(await cellColorOf(page, FIRST_SECTOR));
});

test('the partitions are listed and outlined on the map; hovering a cell tells its sectors, partition and layer; pause freezes the map', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open(DEFAULT_IMAGE_ID, '?ws=block-map-hover');
  await lab.waitForPrompt();
  const canvas = page.getByTestId('block-map-canvas');
  // From the guest's real MBR, read once the boot has brought sector 0 into memory.
  await expect
    .poll(() => page.evaluate(() => window.leaflab!.blockMap()!.partitions.map((p) => p.firstSector)), { timeout: 10_000 })
    .toEqual([2048, 51200]);
  await showMap(page);
  await expect(page.getByTestId('block-map-partitions')).toContainText('#2 Linux · 103 MiB · sectors 51,200–262,143');
  // The root partition's outline runs along the left edge of its first cell (drawn inside it).
  await expect.poll(() => cellColorOf(page, 51200, 1)).toBe(partitionOutlineColor(2));
  expect(await cellColorOf(page, 51200)).not.toBe(partitionOutlineColor(2));

  // Hover the cell of the root partition's first sector.
  const box = await canvas.evaluate((element: HTMLCanvasElement) => {
    const cell = window.leaflab!.blockMapCellOf(51200)!;
    const columns = Number(element.dataset.columns);
    const size = Number(element.dataset.cellSizeCss);
    return { x: ((cell % columns) + 0.5) * size, y: Number(element.dataset.gridTopCss) + (Math.floor(cell / columns) + 0.5) * size };
  });
  await canvas.hover({ position: box });
  const card = page.getByTestId('block-map-cell-info');
  await expect(card).toContainText('51,200');
  await expect(card).toContainText('#2 Linux');

  await page.getByTestId('block-map-pause').click();
  await expect.poll(() => page.evaluate(() => window.leaflab!.blockMap()!.paused)).toBe(true);
  const frozen = await page.evaluate(() => window.leaflab!.blockMap()!.cells);
  await lab.run('cat /usr/share/leaflab/sample.txt > /dev/null', 60_000);
  expect(await page.evaluate(() => window.leaflab!.blockMap()!.cells)).toBe(frozen);
  await page.getByTestId('block-map-pause').click();
  await expect.poll(() => page.evaluate(() => window.leaflab!.blockMap()!.cells), { timeout: 10_000 }).not.toBe(frozen);
});
