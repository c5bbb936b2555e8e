/**
 * A student's progress through one lab, as kept with the lab's workspace: which step is open,
 * and for every step whether it is pending, failed (with the check's feedback) or done. Plain
 * TypeScript with no DOM or Node imports; every change returns a new value, so the page can
 * store exactly what it shows.
 *
 * A step that passed its check stays done, even if a later check of it would fail (the student
 * moved on and changed files): progress is what the student achieved, as in iximiuz Labs and
 * Killercoda, and the page stops checking a done step.
 */
import type { CheckFeedback } from '../labs/check-output';
import { parseCheckOutput } from '../labs/check-output';

export type StepStatus =
  | { kind: 'pending' }
  | { kind: 'failed'; feedback: CheckFeedback; checkedAtMs: number }
  | { kind: 'done'; doneAtMs: number; output: string };

export interface LessonProgress {
  /** 1: this shape. A newer shape read by an older page is refused, not misread. */
  format: 1;
  labId: string;
  /** The step the student has open, 1-based. */
  currentStep: number;
  /** By step number; a step not listed is pending. */
  steps: Record<number, StepStatus>;
  /** By step number: the checkpoint taken when the step was first opened ("Restart this step"). */
  stepCheckpoints: Record<number, string>;
  /**
   * Steps whose setup ran on this disk, ascending. Kept so a reload does not run a setup again
   * over the student's work; a restart of the step clears it and its later steps.
   */
  stepsSetUp: number[];
}

/** What a check run in the guest answered (lib/agent's AgentResult, reduced to what progress keeps). */
export interface CheckRun {
  status: number;
  timedOut: boolean;
  outputText: string;
}

const PENDING: StepStatus = { kind: 'pending' };

export function newProgress(labId: string): LessonProgress {
  return { format: 1, labId, currentStep: 1, steps: {}, stepCheckpoints: {}, stepsSetUp: [] };
}

export function statusOf(progress: LessonProgress, stepNumber: number): StepStatus {
  return progress.steps[stepNumber] ?? PENDING;
}

function assertStep(stepCount: number, stepNumber: number): void {
  if (!Number.isInteger(stepNumber) || stepNumber < 1 || stepNumber > stepCount) {
    throw new RangeError(`step ${stepNumber} does not exist: the lab has steps 1 to ${stepCount}`);
  }
}

/** Opens `stepNumber` (any step: a student may look ahead or go back). */
export function openStep(progress: LessonProgress, stepCount: number, stepNumber: number): LessonProgress {
  assertStep(stepCount, stepNumber);
  return { ...progress, currentStep: stepNumber };
}

/**
 * The progress after a check of `stepNumber` answered `run`. Exit status 0 is done; anything
 * else (a time limit too) is failed, with the output as feedback. A done step stays done.
 */
export function withCheckResult(progress: LessonProgress, stepCount: number, stepNumber: number, run: CheckRun, nowMs: number): LessonProgress {
  assertStep(stepCount, stepNumber);
  if (statusOf(progress, stepNumber).kind === 'done') return progress;
  const passed = run.status === 0 && !run.timedOut;
  const status: StepStatus = passed
    ? { kind: 'done', doneAtMs: nowMs, output: run.outputText }
    : { kind: 'failed', feedback: feedbackOf(run), checkedAtMs: nowMs };
  return { ...progress, steps: { ...progress.steps, [stepNumber]: status } };
}

function feedbackOf(run: CheckRun): CheckFeedback {
  const feedback = parseCheckOutput(run.outputText);
  if (!run.timedOut) return feedback;
  return { ...feedback, failures: [...feedback.failures, 'The check did not finish within its time limit.'] };
}

/** Remembers the checkpoint taken when `stepNumber` began (the first one only: a restart returns there). */
export function withStepCheckpoint(progress: LessonProgress, stepNumber: number, checkpointId: string): LessonProgress {
  if (progress.stepCheckpoints[stepNumber] !== undefined) return progress;
  return { ...progress, stepCheckpoints: { ...progress.stepCheckpoints, [stepNumber]: checkpointId } };
}

/** Records that `stepNumber`'s setup ran. */
export function withStepSetUp(progress: LessonProgress, stepNumber: number): LessonProgress {
  if (progress.stepsSetUp.includes(stepNumber)) return progress;
  return { ...progress, stepsSetUp: [...progress.stepsSetUp, stepNumber].sort((a, b) => a - b) };
}

/** After "Restart this step": the step and every later one are pending again (their work is gone from the disk). */
export function withStepRestarted(progress: LessonProgress, stepCount: number, stepNumber: number): LessonProgress {
  assertStep(stepCount, stepNumber);
  const steps: Record<number, StepStatus> = {};
  for (const [key, status] of Object.entries(progress.steps)) if (Number(key) < stepNumber) steps[Number(key)] = status;
  const stepCheckpoints: Record<number, string> = {};
  for (const [key, id] of Object.entries(progress.stepCheckpoints)) if (Number(key) <= stepNumber) stepCheckpoints[Number(key)] = id;
  const stepsSetUp = progress.stepsSetUp.filter((number) => number < stepNumber);
  return { ...progress, currentStep: stepNumber, steps, stepCheckpoints, stepsSetUp };
}

export function isFinished(progress: LessonProgress, stepCount: number): boolean {
  for (let step = 1; step <= stepCount; step++) if (statusOf(progress, step).kind !== 'done') return false;
  return true;
}

/** What `window.leaflab.lesson()` answers: plain JSON for automation. */
export interface LessonReport {
  labId: string;
  currentStep: number;
  finished: boolean;
  steps: Array<{ number: number; title: string; state: 'pending' | 'failed' | 'done'; feedback?: string }>;
}

export function lessonReport(progress: LessonProgress, steps: ReadonlyArray<{ number: number; title: string }>): LessonReport {
  return {
    labId: progress.labId,
    currentStep: progress.currentStep,
    finished: isFinished(progress, steps.length),
    steps: steps.map(({ number, title }) => {
      const status = statusOf(progress, number);
      return status.kind === 'failed' ? { number, title, state: 'failed', feedback: status.feedback.output } : { number, title, state: status.kind };
    }),
  };
}

/**
 * Checks a stored value before the page trusts it (IndexedDB holds what any older or newer page
 * wrote). Returns undefined for anything that is not this format for `labId`, so the page starts
 * the lab afresh rather than misreading it; the caller says so to the student.
 */
export function parseStoredProgress(value: unknown, labId: string, stepCount: number): LessonProgress | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<LessonProgress>;
  if (candidate.format !== 1 || candidate.labId !== labId) return undefined;
  if (typeof candidate.currentStep !== 'number' || candidate.currentStep < 1 || candidate.currentStep > stepCount) return undefined;
  if (typeof candidate.steps !== 'object' || candidate.steps === null) return undefined;
  if (typeof candidate.stepCheckpoints !== 'object' || candidate.stepCheckpoints === null) return undefined;
  const steps: Record<number, StepStatus> = {};
  for (const [key, status] of Object.entries(candidate.steps)) {
    const number = Number(key);
    if (!Number.isInteger(number) || number < 1 || number > stepCount) continue; // a step the lab no longer has
    if (isStepStatus(status)) steps[number] = status;
  }
  const stepCheckpoints: Record<number, string> = {};
  for (const [key, id] of Object.entries(candidate.stepCheckpoints)) {
    const number = Number(key);
    if (Number.isInteger(number) && number >= 1 && number <= stepCount && typeof id === 'string') stepCheckpoints[number] = id;
  }
  const stepsSetUp = Array.isArray(candidate.stepsSetUp)
    ? [...new Set(candidate.stepsSetUp.filter((number): number is number => Number.isInteger(number) && number >= 1 && number <= stepCount))].sort((a, b) => a - b)
    : [];
  return { format: 1, labId, currentStep: candidate.currentStep, steps, stepCheckpoints, stepsSetUp };
}

function isStepStatus(value: unknown): value is StepStatus {
  if (typeof value !== 'object' || value === null) return false;
  const status = value as { kind?: unknown; feedback?: unknown; doneAtMs?: unknown; checkedAtMs?: unknown; output?: unknown };
  if (status.kind === 'pending') return true;
  if (status.kind === 'done') return typeof status.doneAtMs === 'number' && typeof status.output === 'string';
  if (status.kind !== 'failed' || typeof status.checkedAtMs !== 'number') return false;
  const feedback = status.feedback as Partial<CheckFeedback> | undefined;
  return typeof feedback?.output === 'string' && Array.isArray(feedback.failures) && Array.isArray(feedback.hints);
}
