/**
 * What a lab's card in the catalog says about the student's progress in this browser. Pure, so
 * the wording is tested without a browser (test/unit/catalog-page/lab-progress-summary.test.ts).
 */
import { isFinished, parseStoredProgress, statusOf } from '@/lib/lessons/lesson-progress';

export interface LabProgressSummary {
  /** The student has begun: the card's link says "Continue lab" rather than "Start lab". */
  started: boolean;
  text: string;
}

const NOT_STARTED: LabProgressSummary = { started: false, text: 'Not started' };

/**
 * `stored`: the lab workspace's `lessonProgress`, undefined when this browser has no such
 * workspace or it saved none. Progress another version of the lab wrote is refused as the lab
 * page refuses it (it starts again from step 1), and the card says why.
 */
export function summarizeLabProgress(stored: unknown, labId: string, stepCount: number): LabProgressSummary {
  if (stored === undefined) return NOT_STARTED;
  const progress = parseStoredProgress(stored, labId, stepCount);
  if (!progress) return { started: false, text: 'Not started (the progress saved here is from another version of this lab)' };
  if (isFinished(progress, stepCount)) return { started: true, text: 'Finished' };
  let doneCount = 0;
  for (let step = 1; step <= stepCount; step++) if (statusOf(progress, step).kind === 'done') doneCount++;
  // Opened but nothing tried yet: the page saved a fresh progress, which is still "not started".
  if (doneCount === 0 && progress.currentStep === 1 && Object.keys(progress.steps).length === 0) return NOT_STARTED;
  return { started: true, text: `${doneCount} of ${stepCount} step${stepCount === 1 ? '' : 's'} done` };
}
