import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { LessonPage, solveScriptOf } from './support/lesson-page';

/**
 * Issue #13's walk through "Copy-on-write, block by block" on the default image, as a student
 * does it: each check is red first with its feedback (the page's own conditions on the disk
 * among them) and a hint; the work goes through the serial console (a step's "Run in the
 * machine" button, or its solve script typed as a here-document); the check turns green.
 * "Restart this step" returns the disk to the step's start (sha-256 in the guest); a reload
 * keeps the progress; the last step is the header's Reset disk, and the finished lab offers the
 * next one. The layout is checked from 800 px up on the way.
 */
test.describe.configure({ mode: 'serial' });

const LAB_ID = 'copy-on-write';
const BOOT_LIMIT_MS = 120_000;

/** Where an element is relative to the viewport, in CSS pixels. */
function boxOf(page: Page, testId: string) {
  return page.getByTestId(testId).evaluate((element) => {
    const { left, right, top, bottom } = element.getBoundingClientRect();
    return { left, right, top, bottom, viewportHeight: window.innerHeight };
  });
}

/** Step `number` is red: its feedback is on the page with every line in `failures`, and a hint opens. */
async function expectRedWithHint(lesson: LessonPage, page: Page, number: number, failures: RegExp[]): Promise<void> {
  await lesson.waitForStepState(number, 'failed');
  const report = await lesson.report();
  expect(report.currentStep).toBe(number);
  const feedback = page.getByTestId('lesson-feedback');
  await expect(feedback).toBeVisible();
  for (const failure of failures) {
    expect(report.steps[number - 1]?.feedback, `step ${number}`).toMatch(failure);
    await expect(feedback).toContainText(failure);
  }
  await page.getByRole('button', { name: 'Show a hint' }).click();
  await expect(page.getByTestId('lesson-hints')).not.toBeEmpty();
}

async function expectGreen(lesson: LessonPage, page: Page, number: number): Promise<void> {
  const after = await lesson.check();
  expect(after.steps[number - 1], `step ${number}: ${after.steps[number - 1]?.feedback ?? ''}`).toMatchObject({ state: 'done' });
  await expect(page.getByTestId('lesson-check')).toHaveAttribute('data-state', 'done');
}

test('works through the lab: red with feedback from the guest and the page, the work, green; a reload keeps it; Reset disk finishes it', async ({ page }) => {
  test.setTimeout(15 * 60_000);
  const lesson = new LessonPage(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await lesson.openLab(LAB_ID);
  await lesson.waitForStatus('running', BOOT_LIMIT_MS);
  expect((await lesson.report()).steps).toHaveLength(5);

  // The layout, from 800 px to a projector: no sideways scrolling, the lesson beside the machine
  // from 1280 px up, under it below that.
  for (const [width, height] of [
    [800, 1000],
    [1280, 720],
    [1920, 1080],
  ] as const) {
    await page.setViewportSize({ width, height });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), `overflow at ${width} px`).toBeLessThanOrEqual(0);
    expect((await boxOf(page, 'vga-screen')).right - (await boxOf(page, 'vga-screen')).left, `screen width at ${width} px`).toBeGreaterThan(300);
    const map = await boxOf(page, 'block-map');
    const panel = await boxOf(page, 'lesson');
    if (width >= 1280) expect(panel.left, `lesson beside the map at ${width} px`).toBeGreaterThanOrEqual(map.right);
    else expect(panel.top, `lesson under the map at ${width} px`).toBeGreaterThanOrEqual(map.bottom);
  }
  await page.setViewportSize({ width: 1280, height: 720 });

  // 1. A check in the guest only.
  await expectRedWithHint(lesson, page, 1, [/sectors\.txt does not exist yet/]);
  await lesson.runInTerminal(solveScriptOf(LAB_ID, 1));
  await expectGreen(lesson, page, 1);

  // 2. The guest's check and the page's (the leaf took 4 MiB since the step's checkpoint). The
  //    step's own button types the command, and brings the block map on screen beside the lesson.
  await lesson.openStep(2);
  await expectRedWithHint(lesson, page, 2, [/random\.bin does not exist yet/, /The leaf holds .* written since this step began/]);
  await page.evaluate(() => window.scrollTo(0, 0));
  expect((await boxOf(page, 'block-map')).top, 'the map starts below the fold on a laptop').toBeGreaterThan(720);
  const printed = (await lesson.serialOutput()).length;
  await page.getByTestId('lesson-current-step').getByRole('button', { name: 'Run in the machine' }).first().click();
  await expect.poll(async () => (await boxOf(page, 'block-map')).top).toBeLessThan(720);
  const panel = await boxOf(page, 'lesson');
  expect(panel.top).toBeLessThan(720);
  expect(panel.bottom).toBeGreaterThan(0);
  await lesson.waitForSerial(/ 4194304 [^\n]*random\.bin\r?\n/, printed, 60_000);
  await expectGreen(lesson, page, 2);
  const layers = await page.evaluate(() => window.leaflab!.blockMap()!.layers.map((layer) => layer.label));
  // `LEAFLAB_README_SCREENSHOT=1 npx playwright test lesson-copy-on-write` refreshes the README's picture.
  if (process.env.LEAFLAB_README_SCREENSHOT) {
    await page.setViewportSize({ width: 1680, height: 1900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(1500); // past the write flashes: cells show their layer colours
    writeFileSync(path.join(process.cwd(), 'docs', 'lab-block-map.png'), await page.screenshot());
    await page.setViewportSize({ width: 1280, height: 720 });
  }
  expect(layers, 'each step began with a checkpoint, drawn as a layer of its own').toEqual(expect.arrayContaining(['checkpoint “lab copy-on-write step 1”', 'checkpoint “lab copy-on-write step 2”']));

  // 3. A small change: the page wants some writes, and not more than 1 MiB. First a detour:
  //    too much work, then "Restart this step" puts the disk back as the step began (sha-256 of
  //    every file under /root, in the guest), and the step is red again.
  await lesson.openStep(3);
  await expectRedWithHint(lesson, page, 3, [/hello\.txt has no line/]);
  // Dot files left out: the shell may keep its history in /root.
  const treeSha = "find /root -type f ! -name '.*' | sort | xargs sha256sum | sha256sum";
  const atStart = /([0-9a-f]{64})  -/.exec(await lesson.run(treeSha))?.[1];
  expect(atStart).toMatch(/^[0-9a-f]{64}$/);
  await lesson.runInTerminal(`${solveScriptOf(LAB_ID, 3)}\ndd if=/dev/urandom of=/root/scratch.bin bs=64k count=32 2>/dev/null && sync\n`);
  expect((await lesson.check()).steps[2]?.feedback).toMatch(/The leaf took .* since this step began: more than a small change/);
  expect(/([0-9a-f]{64})  -/.exec(await lesson.run(treeSha))?.[1]).not.toBe(atStart);
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Restart this step' }).click();
  await page.waitForFunction(() => window.leaflab?.status !== 'running', undefined, { timeout: 60_000 });
  await lesson.waitForStatus('running', BOOT_LIMIT_MS);
  await lesson.waitForStepState(3, 'failed');
  expect(/([0-9a-f]{64})  -/.exec(await lesson.run(treeSha))?.[1], 'the disk as step 3 began').toBe(atStart);
  expect(await lesson.fileExists('/root/scratch.bin')).toBe(false);
  await lesson.runInTerminal(solveScriptOf(LAB_ID, 3));
  await expectGreen(lesson, page, 3);

  // A reload: the progress is still there, and the machine comes back on the same disk.
  await lesson.reload();
  await lesson.waitForStatus('running', BOOT_LIMIT_MS);
  const reloaded = await lesson.report();
  expect(reloaded.steps.slice(0, 3).map((step) => step.state)).toEqual(['done', 'done', 'done']);
  expect(reloaded.currentStep).toBe(3);

  // 4. A check on the page only: the root fetched since the step began.
  await lesson.openStep(4);
  await expectRedWithHint(lesson, page, 4, [/The machine fetched .* of the root image since this step began/]);
  await lesson.runInTerminal(solveScriptOf(LAB_ID, 4));
  await expectGreen(lesson, page, 4);

  // 5. Reset disk, the header's button: the files and the checkpoint layers are gone.
  await lesson.openStep(5);
  await expectRedWithHint(lesson, page, 5, [/random\.bin is still there/, /The disk still stacks \d+ layer\(s\)/]);
  page.once('dialog', (dialog) => void dialog.accept());
  await lesson.click('Reset disk');
  await page.waitForFunction(() => window.leaflab?.status !== 'running', undefined, { timeout: 60_000 });
  await lesson.waitForStatus('running', BOOT_LIMIT_MS);
  await lesson.waitForStepState(5, 'done');
  expect(await lesson.fileExists('/root/random.bin')).toBe(false);

  // Finished: the page says so and offers the next lab.
  expect((await lesson.report()).finished).toBe(true);
  const finished = page.getByTestId('lesson-finished');
  await expect(finished).toBeVisible();
  await expect(finished.getByRole('link', { name: 'Linux command line basics' })).toHaveAttribute('href', '/labs/linux-basics');

  // The agent's requests and answers never reached the student's console.
  const serial = await lesson.serialOutput();
  expect(serial).not.toContain('@LEAFLAB@');
  expect(serial).not.toMatch(/FAIL: /);
});
