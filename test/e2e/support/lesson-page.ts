import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import type { LessonReport } from '../../../lib/lessons/lesson-progress';
import { LabPage, LINE_START } from './lab-page';

/** Step `number`'s solve script in labs/<labId>/steps, as the instructor wrote it: the work a student would type. */
export function solveScriptOf(labId: string, number: number): string {
  const folder = path.join(process.cwd(), 'labs', labId, 'steps');
  const prefix = `${String(number).padStart(2, '0')}-`;
  const file = readdirSync(folder).find((entry) => entry.startsWith(prefix) && entry.endsWith('.solve.sh'));
  if (!file) throw new Error(`${folder} has no solve script for step ${number}`);
  return readFileSync(path.join(folder, file), 'utf8');
}

/** Page object for a lesson, /labs/<id>: the machine as LabPage drives it, plus the lesson panel. */
export class LessonPage extends LabPage {
  constructor(page: Page) {
    super(page);
  }

  async openLab(labId: string): Promise<void> {
    await this.page.goto(`/labs/${labId}`);
    await this.page.waitForFunction(() => window.leaflab !== undefined);
  }

  /** window.leaflab.lesson(), once the lesson has read its progress. */
  async report(): Promise<LessonReport> {
    await this.page.waitForFunction(() => {
      try {
        return window.leaflab?.lesson?.() !== undefined;
      } catch {
        return false;
      }
    });
    return this.page.evaluate(() => window.leaflab!.lesson!());
  }

  /** Runs the open step's check now (leaflab.check()). */
  check(): Promise<LessonReport> {
    return this.page.evaluate(() => window.leaflab!.check!());
  }

  /** Waits until step `number` is in `state` (the periodic check sets it). */
  async waitForStepState(number: number, state: 'pending' | 'failed' | 'done', timeoutMs = 120_000): Promise<void> {
    await expect.poll(async () => (await this.report()).steps[number - 1]?.state, { timeout: timeoutMs, intervals: [500] }).toBe(state);
  }

  async openStep(number: number): Promise<void> {
    await this.page.getByTestId(`lesson-step-${number}`).getByRole('button').click();
    await expect(this.page.getByTestId('lesson-current-step')).toHaveAttribute('data-step', String(number));
  }

  /** Types `script` into the student's terminal as one here-document, and waits for it to finish. */
  async runInTerminal(script: string, timeoutMs = 120_000): Promise<string> {
    const marker = `__done_${Math.random().toString(36).slice(2, 8)}__`;
    const fromOffset = (await this.serialOutput()).length;
    // The marker's echo goes on the first line: the here-document ends at a line of its own.
    const typed = `sh <<'LEAFLAB_E2E'; echo ${marker}\n${script.replace(/\n+$/, '')}\nLEAFLAB_E2E\n`;
    await this.page.evaluate((text) => window.leaflab?.sendSerial(text), typed);
    return this.waitForSerial(new RegExp(`${LINE_START}${marker}\\r?\\n`), fromOffset, timeoutMs);
  }
}
