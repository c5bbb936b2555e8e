import { describe, expect, it } from 'vitest';
import {
  isFinished,
  lessonReport,
  newProgress,
  openStep,
  parseStoredProgress,
  statusOf,
  withCheckResult,
  withStepCheckpoint,
  withStepRestarted,
  withStepSetUp,
} from '@/lib/lessons/lesson-progress';

const FAIL_RUN = { status: 1, timedOut: false, outputText: 'FAIL: ~/lab/notes.txt is missing\nHINT: touch it\n' };
const PASS_RUN = { status: 0, timedOut: false, outputText: 'all good\n' };

describe('lesson progress', () => {
  it('turns a failing check into feedback with its FAIL and HINT lines, and a passing one into done', () => {
    let progress = withCheckResult(newProgress('lab'), 3, 1, FAIL_RUN, 1000);
    const failed = statusOf(progress, 1);
    expect(failed).toEqual({ kind: 'failed', checkedAtMs: 1000, feedback: { failures: ['~/lab/notes.txt is missing'], hints: ['touch it'], output: FAIL_RUN.outputText } });
    progress = withCheckResult(progress, 3, 1, PASS_RUN, 2000);
    expect(statusOf(progress, 1)).toEqual({ kind: 'done', doneAtMs: 2000, output: 'all good\n' });
  });

  it('keeps a done step done when a later check fails', () => {
    const done = withCheckResult(newProgress('lab'), 2, 1, PASS_RUN, 1);
    expect(withCheckResult(done, 2, 1, FAIL_RUN, 2)).toBe(done);
  });

  it('counts a check that ran out of time as failed even with exit status 0, and says why', () => {
    const progress = withCheckResult(newProgress('lab'), 1, 1, { status: 0, timedOut: true, outputText: '' }, 5);
    const status = statusOf(progress, 1);
    expect(status.kind).toBe('failed');
    expect(status.kind === 'failed' && status.feedback.failures).toEqual(['The check did not finish within its time limit.']);
  });

  it('refuses a step the lab does not have', () => {
    expect(() => openStep(newProgress('lab'), 3, 4)).toThrow(/steps 1 to 3/);
    expect(() => withCheckResult(newProgress('lab'), 3, 0, PASS_RUN, 1)).toThrow(RangeError);
  });

  it('is finished when every step is done', () => {
    let progress = newProgress('lab');
    expect(isFinished(progress, 2)).toBe(false);
    progress = withCheckResult(progress, 2, 1, PASS_RUN, 1);
    expect(isFinished(progress, 2)).toBe(false);
    progress = withCheckResult(progress, 2, 2, PASS_RUN, 2);
    expect(isFinished(progress, 2)).toBe(true);
  });

  it('restarting a step makes it and later steps pending, keeps its checkpoint and drops later ones', () => {
    let progress = newProgress('lab');
    for (const step of [1, 2, 3]) {
      progress = withStepCheckpoint(progress, step, `cp-${step}`);
      progress = withStepSetUp(progress, step);
      progress = withCheckResult(progress, 3, step, PASS_RUN, step);
    }
    const restarted = withStepRestarted(progress, 3, 2);
    expect(restarted.currentStep).toBe(2);
    expect(Object.keys(restarted.steps)).toEqual(['1']);
    expect(restarted.stepCheckpoints).toEqual({ 1: 'cp-1', 2: 'cp-2' });
    expect(restarted.stepsSetUp).toEqual([1]);
  });

  it('keeps the first checkpoint of a step', () => {
    const progress = withStepCheckpoint(withStepCheckpoint(newProgress('lab'), 1, 'first'), 1, 'second');
    expect(progress.stepCheckpoints[1]).toBe('first');
  });

  it('reports states for automation', () => {
    const progress = withCheckResult(withCheckResult(newProgress('lab'), 3, 1, PASS_RUN, 1), 3, 2, FAIL_RUN, 2);
    const steps = [1, 2, 3].map((number) => ({ number, title: `Step ${number}` }));
    expect(lessonReport(progress, steps)).toEqual({
      labId: 'lab',
      currentStep: 1,
      finished: false,
      steps: [
        { number: 1, title: 'Step 1', state: 'done' },
        { number: 2, title: 'Step 2', state: 'failed', feedback: FAIL_RUN.outputText },
        { number: 3, title: 'Step 3', state: 'pending' },
      ],
    });
  });

  it('reads back what it stored, and refuses another lab, another format or a step out of range', () => {
    const progress = withStepSetUp(withCheckResult(openStep(newProgress('lab'), 3, 2), 3, 1, FAIL_RUN, 7), 1);
    const stored: unknown = JSON.parse(JSON.stringify(progress));
    expect(parseStoredProgress(stored, 'lab', 3)).toEqual(progress);
    expect(parseStoredProgress(stored, 'other-lab', 3)).toBeUndefined();
    expect(parseStoredProgress({ ...(stored as object), format: 2 }, 'lab', 3)).toBeUndefined();
    expect(parseStoredProgress(stored, 'lab', 1)).toBeUndefined(); // current step 2 of a lab that now has one
    expect(parseStoredProgress(null, 'lab', 3)).toBeUndefined();
    const damaged = { ...(stored as object), steps: { 1: { kind: 'failed' }, 9: { kind: 'done', doneAtMs: 1, output: '' } } };
    expect(parseStoredProgress(damaged, 'lab', 3)?.steps).toEqual({});
  });
});
