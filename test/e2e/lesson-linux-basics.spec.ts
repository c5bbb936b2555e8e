import { expect, test, type Page } from '@playwright/test';
import { LessonPage, solveScriptOf } from './support/lesson-page';

/**
 * Issue #13's walk through "Linux command line basics" on debian-lab, as a student does it, in
 * one machine: each step's check is red first (with its feedback and a hint), the work is typed
 * into the serial console (the step's own solve script, as a here-document), the check turns
 * green; a reload keeps the progress; the last step finishes the lab. The student's console
 * never shows the agent's traffic.
 */
test.describe.configure({ mode: 'serial' });

const LAB_ID = 'linux-basics';
const BOOT_LIMIT_MS = 180_000;

let page: Page;
let lesson: LessonPage;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  lesson = new LessonPage(page);
});

test.afterAll(async () => {
  await page.close();
});

test('works through every step: red with feedback and a hint, the work, green; progress survives a reload; the lab finishes', async () => {
  test.setTimeout(30 * 60_000);
  await lesson.openLab(LAB_ID);
  await lesson.waitForStatus('running', BOOT_LIMIT_MS);
  const stepCount = (await lesson.report()).steps.length;
  expect(stepCount).toBeGreaterThanOrEqual(6);

  for (let number = 1; number <= stepCount; number++) {
    if (number > 1) await lesson.openStep(number);
    // 1. Before the work: the periodic check is red, the page shows its feedback, a hint helps.
    await lesson.waitForStepState(number, 'failed');
    const report = await lesson.report();
    expect(report.currentStep).toBe(number);
    expect(report.steps[number - 1]?.feedback).toMatch(/FAIL:/);
    await expect(page.getByTestId('lesson-feedback')).toBeVisible();
    await page.getByRole('button', { name: 'Show a hint' }).click();
    await expect(page.getByTestId('lesson-hints')).not.toBeEmpty();

    // 2. The work, through the serial console; then the check is green.
    await lesson.runInTerminal(solveScriptOf(LAB_ID, number));
    const after = await lesson.check();
    expect(after.steps[number - 1], `step ${number}: ${after.steps[number - 1]?.feedback ?? ''}`).toMatchObject({ state: 'done' });
    await expect(page.getByTestId('lesson-check')).toHaveAttribute('data-state', 'done');

    // 3. Halfway, a reload: the progress is still there, and the machine comes back.
    if (number === 3) {
      await lesson.reload();
      await lesson.waitForStatus('running', BOOT_LIMIT_MS);
      const reloaded = await lesson.report();
      expect(reloaded.steps.slice(0, 3).map((step) => step.state)).toEqual(['done', 'done', 'done']);
      expect(reloaded.currentStep).toBe(3);
    }
  }

  // 4. Finished: the page says so.
  expect((await lesson.report()).finished).toBe(true);
  await expect(page.getByTestId('lesson-finished')).toBeVisible();

  // The agent's requests and answers never reached the student's console.
  const serial = await lesson.serialOutput();
  expect(serial).not.toContain('@LEAFLAB@');
  expect(serial).not.toMatch(/FAIL: /);
});

test("'Restart this step' returns the disk to the step's start, checked by sha-256 in the guest", async ({ browser }) => {
  test.setTimeout(15 * 60_000);
  // A browser of its own: a fresh workspace for the lab, at step 1.
  const context = await browser.newContext();
  const fresh = new LessonPage(await context.newPage());
  try {
    await fresh.openLab(LAB_ID);
    await fresh.waitForStatus('running', BOOT_LIMIT_MS);
    await fresh.waitForStepState(1, 'failed'); // set up (after its checkpoint), and checked once
    const treeSha = 'find ~/lab -type f | sort | xargs sha256sum | sha256sum';
    const atStart = /([0-9a-f]{64})  -/.exec(await fresh.run(treeSha))?.[1];
    expect(atStart).toMatch(/^[0-9a-f]{64}$/);

    await fresh.runInTerminal(solveScriptOf(LAB_ID, 1));
    await fresh.run('dd if=/dev/urandom of=$HOME/scratch.bin bs=1024 count=256 2>/dev/null && sync');
    expect(/([0-9a-f]{64})  -/.exec(await fresh.run(treeSha))?.[1]).not.toBe(atStart);

    fresh.page.once('dialog', (dialog) => void dialog.accept());
    await fresh.page.getByRole('button', { name: 'Restart this step' }).click();
    await fresh.page.waitForFunction(() => window.leaflab?.status !== 'running', undefined, { timeout: 60_000 });
    await fresh.page.waitForFunction(() => window.leaflab !== undefined);
    await fresh.waitForStatus('running', BOOT_LIMIT_MS);
    await fresh.waitForStepState(1, 'failed');
    expect(/([0-9a-f]{64})  -/.exec(await fresh.run(treeSha))?.[1]).toBe(atStart);
    expect(await fresh.fileExists('$HOME/scratch.bin')).toBe(false);
  } finally {
    await context.close();
  }
});
