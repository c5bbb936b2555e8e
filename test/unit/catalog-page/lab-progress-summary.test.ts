import { describe, expect, it } from 'vitest';
import { summarizeLabProgress } from '../../../app/components/lab-progress-summary';
import { newProgress, openStep, withCheckResult, type CheckRun } from '../../../lib/lessons/lesson-progress';

const STEP_COUNT = 6;
const passed: CheckRun = { status: 0, timedOut: false, outputText: '' };
const failed: CheckRun = { status: 1, timedOut: false, outputText: 'FAIL: no file notes.txt' };

function withStepsDone(steps: number[]) {
  return steps.reduce((progress, step) => withCheckResult(progress, STEP_COUNT, step, passed, 1_000), newProgress('linux-basics'));
}

describe('summarizeLabProgress', () => {
  it('says "Not started" when this browser has no progress for the lab', () => {
    expect(summarizeLabProgress(undefined, 'linux-basics', STEP_COUNT)).toEqual({ started: false, text: 'Not started' });
  });

  it('says "Not started" for the fresh progress the lab page saves when it first opens', () => {
    expect(summarizeLabProgress(newProgress('linux-basics'), 'linux-basics', STEP_COUNT)).toEqual({ started: false, text: 'Not started' });
  });

  it('counts the steps done', () => {
    expect(summarizeLabProgress(withStepsDone([1, 2, 3]), 'linux-basics', STEP_COUNT)).toEqual({ started: true, text: '3 of 6 steps done' });
  });

  it('counts a student who only looked ahead or failed a check as started, with 0 steps done', () => {
    expect(summarizeLabProgress(openStep(newProgress('linux-basics'), STEP_COUNT, 2), 'linux-basics', STEP_COUNT).text).toBe('0 of 6 steps done');
    const failedFirst = withCheckResult(newProgress('linux-basics'), STEP_COUNT, 1, failed, 1_000);
    expect(summarizeLabProgress(failedFirst, 'linux-basics', STEP_COUNT)).toEqual({ started: true, text: '0 of 6 steps done' });
  });

  it('says "Finished" when every step is done', () => {
    expect(summarizeLabProgress(withStepsDone([1, 2, 3, 4, 5, 6]), 'linux-basics', STEP_COUNT)).toEqual({ started: true, text: 'Finished' });
  });

  it('says "1 of 1 step" in the singular', () => {
    const oneStep = openStep(newProgress('tiny'), 1, 1);
    expect(summarizeLabProgress({ ...oneStep, steps: { 1: { kind: 'failed', feedback: { output: '', failures: [], hints: [] }, checkedAtMs: 1 } } }, 'tiny', 1).text).toBe('0 of 1 step done');
  });

  it('refuses progress written for another lab or another version, as the lab page does', () => {
    const otherLab = summarizeLabProgress(withStepsDone([1]), 'another-lab', STEP_COUNT);
    expect(otherLab.started).toBe(false);
    expect(otherLab.text).toMatch(/^Not started \(.*another version/);
    expect(summarizeLabProgress({ format: 2 }, 'linux-basics', STEP_COUNT).started).toBe(false);
    expect(summarizeLabProgress('garbage', 'linux-basics', STEP_COUNT).started).toBe(false);
  });
});
